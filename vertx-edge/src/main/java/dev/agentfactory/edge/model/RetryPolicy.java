package dev.agentfactory.edge.model;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How often and how patiently a provider retries a retriable failure that happened before anything
 * was streamed: exponential backoff from {@code initialBackoff}, doubling up to {@code maxBackoff},
 * with "equal jitter" (each delay is drawn from its upper half) so clients that failed together do
 * not retry together.
 *
 * @param maxAttempts total attempts including the first; 1 disables retries
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

  public static final RetryPolicy DEFAULT =
      new RetryPolicy(4, Duration.ofMillis(500), Duration.ofSeconds(20));

  public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO);

  public RetryPolicy {
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff");
    }
  }

  /**
   * The delay before attempt {@code attempt + 1} after attempt {@code attempt} (1-based) failed, at
   * least {@code serverHint} (a {@code Retry-After}) but never above {@code maxBackoff}.
   */
  public Duration delayAfter(int attempt, Duration serverHint, RandomGenerator random) {
    long cap = maxBackoff.toMillis();
    long exp = initialBackoff.toMillis() << Math.min(attempt - 1, 30);
    long base = Math.min(cap, exp < 0 ? cap : exp);
    long jittered = base / 2 + (base <= 1 ? 0 : random.nextLong(base / 2 + 1));
    return Duration.ofMillis(Math.min(cap, Math.max(jittered, serverHint.toMillis())));
  }
}
