package dev.agentfactory.sandbox;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command to run in a sandbox.
 *
 * @param argv the program and its arguments; not empty
 * @param env extra environment variables
 * @param timeout the command is killed and reported {@link ExecResult.Status#TIMEOUT} after this
 * @param maxOutputBytes output beyond this many bytes (both streams together) is dropped and the
 *     result marked truncated
 */
public record ExecRequest(
    List<String> argv, Map<String, String> env, Duration timeout, long maxOutputBytes) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final long DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;

  public ExecRequest {
    Objects.requireNonNull(argv, "argv");
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("argv must name a program");
    }
    argv = List.copyOf(argv);
    env = env == null ? Map.of() : Map.copyOf(env);
    timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive");
    }
    if (maxOutputBytes <= 0) {
      throw new IllegalArgumentException("maxOutputBytes must be positive");
    }
  }

  /** {@code sh -c script} with the default timeout and output cap. */
  public static ExecRequest shell(String script) {
    return new ExecRequest(
        List.of("/bin/sh", "-c", script), Map.of(), DEFAULT_TIMEOUT, DEFAULT_MAX_OUTPUT_BYTES);
  }
}
