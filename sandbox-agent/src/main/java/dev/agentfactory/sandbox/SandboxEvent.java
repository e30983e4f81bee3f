package dev.agentfactory.sandbox;

import dev.agentfactory.sandbox.egress.EgressDecision;
import java.time.Instant;
import java.util.Objects;

/**
 * Something happened to a sandbox: it changed state, or it hit a resource limit while staying in
 * its state (then {@code reason} is one of {@link #OOM}, {@link #PIDS_EXHAUSTED}, {@link
 * #DISK_FULL}), or its egress proxy decided on a request (then {@code reason} is {@link
 * #EGRESS_ALLOWED} or {@link #EGRESS_DENIED} and {@code egress} says what was asked and why).
 *
 * @param sandboxId the sandbox
 * @param template its template
 * @param state the state it is in after the event
 * @param reason why, e.g. {@code leased}, {@code oom}, {@code idle_timeout}; never null
 * @param timestamp when the pool observed it
 * @param egress the egress decision for {@link #EGRESS_ALLOWED} and {@link #EGRESS_DENIED} events;
 *     null for every other event
 */
public record SandboxEvent(
    String sandboxId,
    String template,
    SandboxState state,
    String reason,
    Instant timestamp,
    EgressDecision egress) {

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

  /** The egress proxy let a request through; see {@link #egress()}. */
  public static final String EGRESS_ALLOWED = "egress_allowed";

  /** The egress proxy refused a request; see {@link #egress()}. */
  public static final String EGRESS_DENIED = "egress_denied";

  /** A lifecycle or limit event (no egress decision). */
  public SandboxEvent(
      String sandboxId, String template, SandboxState state, String reason, Instant timestamp) {
    this(sandboxId, template, state, reason, timestamp, null);
  }

  public SandboxEvent {
    Objects.requireNonNull(sandboxId, "sandboxId");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(timestamp, "timestamp");
    if ((egress != null) != (EGRESS_ALLOWED.equals(reason) || EGRESS_DENIED.equals(reason))) {
      throw new IllegalArgumentException("egress is set exactly for egress_* reasons: " + reason);
    }
  }

  /** An egress decision of a sandbox's proxy. */
  public static SandboxEvent egress(
      String sandboxId, String template, SandboxState state, EgressDecision decision) {
    return new SandboxEvent(
        sandboxId,
        template,
        state,
        decision.allowed() ? EGRESS_ALLOWED : EGRESS_DENIED,
        Instant.now(),
        decision);
  }

  /** Whether this event reports an egress decision rather than a state change or limit. */
  public boolean isEgress() {
    return egress != null;
  }

  /** Whether this event reports a resource limit being hit rather than a plain state change. */
  public boolean isLimit() {
    return OOM.equals(reason) || PIDS_EXHAUSTED.equals(reason) || DISK_FULL.equals(reason);
  }
}
