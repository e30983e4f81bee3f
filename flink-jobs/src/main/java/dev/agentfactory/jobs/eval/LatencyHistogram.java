package dev.agentfactory.jobs.eval;

/**
 * A fixed-size log histogram of latencies: bucket 0 holds 0 ms, bucket b ≥ 1 holds [1.05^(b-1),
 * 1.05^b) ms, so a percentile is off by at most 5 % whatever the scale, in 4 KB (512 longs).
 */
public final class LatencyHistogram {

  static final int BUCKETS = 512;
  private static final double LOG_BASE = Math.log(1.05);

  /** Public and mutable for Flink's POJO serializer; use the methods. */
  public long[] counts = new long[BUCKETS];

  public long total;

  public void add(long ms) {
    counts[bucket(ms)]++;
    total++;
  }

  public void merge(LatencyHistogram other) {
    for (int i = 0; i < BUCKETS; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
  }

  /** The latency at quantile {@code q} in (0, 1], or -1 if empty. */
  public long quantile(double q) {
    if (total == 0) {
      return -1;
    }
    long rank = Math.max(1, (long) Math.ceil(q * total));
    long seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
      seen += counts[b];
      if (seen >= rank) {
        return value(b);
      }
    }
    return value(BUCKETS - 1);
  }

  static int bucket(long ms) {
    if (ms < 1) {
      return 0;
    }
    int b = 1 + (int) Math.floor(Math.log(ms) / LOG_BASE);
    return Math.min(b, BUCKETS - 1);
  }

  /** The geometric middle of a bucket, rounded. */
  static long value(int bucket) {
    if (bucket == 0) {
      return 0;
    }
    return Math.round(Math.exp((bucket - 0.5) * LOG_BASE));
  }
}
