package dev.agentfactory.sandbox;

import java.time.Duration;

/**
 * How a command ended.
 *
 * @param status how it ended
 * @param exitCode the exit code when {@code EXITED}; 128 + signal number when {@code KILLED}; -1
 *     otherwise
 * @param duration wall time from start to end
 * @param truncated whether output beyond the cap was dropped
 */
public record ExecResult(Status status, int exitCode, Duration duration, boolean truncated) {

  public enum Status {
    /** The command exited on its own; see the exit code. */
    EXITED,
    /** The command ran past its timeout and was killed. */
    TIMEOUT,
    /** The command was killed by a signal, e.g. by a resource limit. */
    KILLED
  }
}
