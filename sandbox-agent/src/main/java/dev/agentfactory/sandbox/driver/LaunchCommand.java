package dev.agentfactory.sandbox.driver;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How a driver starts a sandbox, as plain data: what {@link IsolationDriver#launch} runs, so that
 * the pool's launch server can run the same thing without the JVM spawning a process.
 *
 * @param argv the program and its arguments (af-launch first when the spec has a launcher)
 * @param env the complete environment of the program (nothing is inherited)
 * @param directory its working directory, or null for any
 */
public record LaunchCommand(List<String> argv, Map<String, String> env, Path directory) {

  public LaunchCommand {
    argv = List.copyOf(argv);
    env = Map.copyOf(env);
  }
}
