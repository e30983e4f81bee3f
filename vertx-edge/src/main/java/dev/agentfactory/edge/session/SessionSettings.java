package dev.agentfactory.edge.session;

import java.time.Duration;

/**
 * Per-session limits and timers, resolved from the node's configuration.
 *
 * @param idlePause freeze the sandbox after this much idleness; zero for never
 * @param idleHibernate hibernate the sandbox after this much idleness; zero for never
 * @param slowClient disconnect a client whose socket stays backed up this long
 * @param maxUnackedEvents interaction events not yet acknowledged by Kafka beyond which the session
 *     refuses new work with {@code recording_backlog}
 */
public record SessionSettings(
    int maxFrameBytes,
    Duration resumeGrace,
    Duration idlePause,
    Duration idleHibernate,
    Duration slowClient,
    int maxUnackedEvents) {

  /** The default of {@code session.max.unacked.events}. */
  public static final int DEFAULT_MAX_UNACKED_EVENTS = 64;

  public SessionSettings {
    if (maxUnackedEvents < 1) {
      throw new IllegalArgumentException(
          "maxUnackedEvents must be at least 1 but was " + maxUnackedEvents);
    }
  }

  /** Settings with the default bound of unacknowledged events. */
  public SessionSettings(
      int maxFrameBytes,
      Duration resumeGrace,
      Duration idlePause,
      Duration idleHibernate,
      Duration slowClient) {
    this(
        maxFrameBytes,
        resumeGrace,
        idlePause,
        idleHibernate,
        slowClient,
        DEFAULT_MAX_UNACKED_EVENTS);
  }
}
