package dev.agentfactory.edge.eval;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The latest live metric per tenant, agent and version, and the dashboards watching them. Written
 * by the topic's consumer thread, read by HTTP handlers; thread-safe. An older window never
 * replaces a newer one (the topic is at-least-once and partitions interleave).
 *
 * <p>A series whose latest window ended more than {@link #DEFAULT_RETENTION} ago (an agent version
 * nobody uses any more, a deleted tenant) is dropped: from snapshots at once, from memory at the
 * next sweep (at most every {@link #SWEEP_INTERVAL}, on an update or a snapshot). A window that old
 * arriving late (the feed rewinds on start) is not kept either.
 *
 * <pre>{@code
 * LiveEvalBoard board = new LiveEvalBoard(Clock.systemUTC(), Duration.ofMinutes(15));
 * }</pre>
 */
public final class LiveEvalBoard {

  /** How long a series without a newer window stays on the board: 900 slides of the default 1 s. */
  public static final Duration DEFAULT_RETENTION = Duration.ofMinutes(15);

  /** How often, at most, expired series are removed from memory. */
  static final Duration SWEEP_INTERVAL = Duration.ofSeconds(30);

  private final Map<LiveMetric.Series, LiveMetric> latest = new ConcurrentHashMap<>();
  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();
  private final Clock clock;
  private final long retentionMs;
  private final AtomicLong nextSweepMs = new AtomicLong(Long.MIN_VALUE);

  public LiveEvalBoard() {
    this(Clock.systemUTC(), DEFAULT_RETENTION);
  }

  /**
   * @param clock what "now" is, compared with each series' {@code window_end_ms}
   * @param retention how long after its latest window ended a series is dropped; positive
   */
  public LiveEvalBoard(Clock clock, Duration retention) {
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("retention must be positive, not " + retention);
    }
    this.clock = clock;
    this.retentionMs = retention.toMillis();
  }

  /** Keeps {@code metric} if it is the newest of its series and tells the tenant's watchers. */
  public void update(LiveMetric metric) {
    long now = clock.millis();
    sweep(now);
    if (expired(metric, now)) {
      return;
    }
    LiveMetric kept =
        latest.merge(
            metric.key(),
            metric,
            (old, fresh) -> fresh.windowEndMs() >= old.windowEndMs() ? fresh : old);
    if (kept != metric) {
      return;
    }
    for (Watcher w : watchers) {
      if (w.tenant.equals(metric.tenant())) {
        w.listener.accept(metric);
      }
    }
  }

  /** The tenant's latest metrics, by agent and version; expired series are left out. */
  public List<LiveMetric> snapshot(String tenant) {
    long now = clock.millis();
    sweep(now);
    List<LiveMetric> mine = new ArrayList<>();
    for (LiveMetric m : latest.values()) {
      if (m.tenant().equals(tenant) && !expired(m, now)) {
        mine.add(m);
      }
    }
    mine.sort(Comparator.comparing(LiveMetric::agent).thenComparing(LiveMetric::agentVersion));
    return mine;
  }

  /** Series held in memory, expired ones not yet swept included. */
  int series() {
    return latest.size();
  }

  private boolean expired(LiveMetric metric, long now) {
    return metric.windowEndMs() < now - retentionMs;
  }

  /** Removes expired series, at most once per {@link #SWEEP_INTERVAL}. */
  private void sweep(long now) {
    long next = nextSweepMs.get();
    if (now < next || !nextSweepMs.compareAndSet(next, now + SWEEP_INTERVAL.toMillis())) {
      return;
    }
    // remove(key, value): a newer window merged in meanwhile stays
    latest.forEach(
        (key, metric) -> {
          if (expired(metric, now)) {
            latest.remove(key, metric);
          }
        });
  }

  /**
   * Calls {@code listener} with each new metric of {@code tenant}, on the consumer's thread, until
   * the returned handle is run.
   */
  public Runnable watch(String tenant, Consumer<LiveMetric> listener) {
    Watcher watcher = new Watcher(tenant, listener);
    watchers.add(watcher);
    return () -> watchers.remove(watcher);
  }

  public int watchers() {
    return watchers.size();
  }

  private record Watcher(String tenant, Consumer<LiveMetric> listener) {}
}
