package dev.agentfactory.edge.auth;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per caller: {@code burst} requests at once, refilled at {@code perSecond}. Local
 * to this node (a cluster-wide limit is the cluster issue's).
 */
public final class RateLimiter {

  private final double perSecond;
  private final double burst;
  private final LongSupplier nanoClock;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    double tokens;
    long updatedNanos;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.updatedNanos = now;
    }
  }

  public RateLimiter(double perSecond, double burst) {
    this(perSecond, burst, System::nanoTime);
  }

  RateLimiter(double perSecond, double burst, LongSupplier nanoClock) {
    if (perSecond <= 0 || burst < 1) {
      throw new IllegalArgumentException("rate must be positive and burst at least 1");
    }
    this.perSecond = perSecond;
    this.burst = burst;
    this.nanoClock = nanoClock;
  }

  /** Takes one token: 0 if allowed, else how many milliseconds until one is available. */
  public long tryAcquire(String caller) {
    long now = nanoClock.getAsLong();
    Bucket bucket = buckets.computeIfAbsent(caller, c -> new Bucket(burst, now));
    synchronized (bucket) {
      double elapsed = (now - bucket.updatedNanos) / 1e9;
      bucket.tokens = Math.min(burst, bucket.tokens + elapsed * perSecond);
      bucket.updatedNanos = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return (long) Math.ceil((1 - bucket.tokens) / perSecond * 1000);
    }
  }
}
