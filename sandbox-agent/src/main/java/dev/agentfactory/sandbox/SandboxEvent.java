package dev.agentfactory.sandbox;

import java.time.Instant;
import java.util.Objects;

/**
 * Something happened to a sandbox: it changed state, or it hit a resource limit while staying in
 * its state (then {@code reason} is one of {@link #OOM}, {@link #PIDS_EXHAUSTED}, {@link
 * #DISK_FULL}).
 *
 * @param sandboxId the sandbox
 * @param template its template
 * @param state the state it is in after the event
 * @param reason why, e.g. {@code leased}, {@code oom}, {@code idle_timeout}; never null
 * @param timestamp when the pool observed it
 */
public record SandboxEvent(
    String sandboxId, String template, SandboxState state, String reason, Instant timestamp) {

  /** The kernel's OOM killer killed a process of the sandbox (memory limit). */
  public static final String OOM = "oom";

  /** A fork failed because the sandbox reached its process limit. */
  public static final String PIDS_EXHAUSTED = "pids_exhausted";

  /** The workspace reached its size cap. */
  public static final String DISK_FULL = "disk_full";

  /** The sandbox was terminated because it was leased but idle for longer than allowed. */
  public static final String IDLE_TIMEOUT = "idle_timeout";

  /** The sandbox was terminated because it reached its template's maximum lifetime. */
  public static final String MAX_LIFETIME = "max_lifetime";

  public SandboxEvent {
    Objects.requireNonNull(sandboxId, "sandboxId");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(timestamp, "timestamp");
  }

  /** Whether this event reports a resource limit being hit rather than a plain state change. */
  public boolean isLimit() {
    return OOM.equals(reason) || PIDS_EXHAUSTED.equals(reason) || DISK_FULL.equals(reason);
  }
}
