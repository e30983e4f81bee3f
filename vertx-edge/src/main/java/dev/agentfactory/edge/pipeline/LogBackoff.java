package dev.agentfactory.edge.pipeline;

import java.time.Duration;

/**
 * When the cluster's savepoint log was last read for {@code jobId} without the answer wanted (it
 * does not name the job yet, or Kafka was away), and how long the next read waits: {@link #FIRST}
 * after the first, twice as long after each further one, up to {@link #MAX}. Each read opens a
 * Kafka consumer, and a job stopped outside the platform is never named.
 *
 * @param at when (nanoTime) it was read
 * @param delay how long after {@code at} the next read is due
 */
record LogBackoff(String jobId, long at, Duration delay) {

  /** The wait after the first read. */
  static final Duration FIRST = Duration.ofSeconds(10);

  /** The longest wait between two reads. */
  static final Duration MAX = Duration.ofMinutes(5);

  /** After the first read for {@code jobId}, at {@code now}. */
  static LogBackoff first(String jobId, long now) {
    return new LogBackoff(jobId, now, FIRST);
  }

  /** Whether the next read is due at {@code now}. */
  boolean due(long now) {
    return now - at >= delay.toNanos();
  }

  /** After a further read at {@code now}: twice the wait, up to {@link #MAX}. */
  LogBackoff next(long now) {
    Duration doubled = delay.multipliedBy(2);
    return new LogBackoff(jobId, now, doubled.compareTo(MAX) < 0 ? doubled : MAX);
  }
}
