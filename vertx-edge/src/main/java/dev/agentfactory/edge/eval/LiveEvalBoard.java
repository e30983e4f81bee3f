package dev.agentfactory.edge.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The latest live metric per tenant, agent and version, and the dashboards watching them. Written
 * by the topic's consumer thread, read by HTTP handlers; thread-safe. An older window never
 * replaces a newer one (the topic is at-least-once and partitions interleave).
 */
public final class LiveEvalBoard {

  private final Map<String, LiveMetric> latest = new ConcurrentHashMap<>();
  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();

  /** Keeps {@code metric} if it is the newest of its series and tells the tenant's watchers. */
  public void update(LiveMetric metric) {
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

  /** The tenant's latest metrics, by agent and version. */
  public List<LiveMetric> snapshot(String tenant) {
    List<LiveMetric> mine = new ArrayList<>();
    for (LiveMetric m : latest.values()) {
      if (m.tenant().equals(tenant)) {
        mine.add(m);
      }
    }
    mine.sort(Comparator.comparing(LiveMetric::agent).thenComparing(LiveMetric::agentVersion));
    return mine;
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
