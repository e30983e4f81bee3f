package dev.agentfactory.sandbox.driver;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs af-init as a plain child process in the agent's own user, network and filesystem. It
 * isolates nothing: use it only for trusted code.
 */
public final class ProcessDriver implements IsolationDriver {

  @Override
  public Isolation isolation() {
    return Isolation.PROCESS;
  }

  @Override
  public boolean usesUidPerSandbox() {
    return false;
  }

  @Override
  public Capabilities capabilities() {
    return new Capabilities(
        true,
        true,
        false,
        List.of("host"),
        true,
        true,
        true,
        true,
        false,
        List.of(
            "process isolation shares the host's network, file system and uid: trusted code only",
            "process state is not kept across hibernation (no restorable CRIU)"));
  }

  @Override
  public LaunchCommand launchCommand(LaunchSpec spec) {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.putAll(spec.env());
    env.put("HOME", spec.workspace().toString());
    return new LaunchCommand(
        LaunchWrapper.wrap(spec, List.of(spec.init().toString(), spec.workspace().toString()), -1),
        env,
        spec.workspace());
  }

  @Override
  public Process launch(LaunchSpec spec) throws IOException {
    // af-init chdirs each command into the host workspace instead of /workspace
    ProcessBuilder pb =
        new ProcessBuilder(
                LaunchWrapper.wrap(
                    spec, List.of(spec.init().toString(), spec.workspace().toString()), -1))
            .directory(spec.workspace().toFile())
            .redirectError(Redirect.appendTo(spec.log().toFile()));
    pb.environment().putAll(spec.env());
    pb.environment().put("HOME", spec.workspace().toString());
    return pb.start();
  }
}
