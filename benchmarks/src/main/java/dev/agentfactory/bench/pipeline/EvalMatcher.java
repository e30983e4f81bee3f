package dev.agentfactory.bench.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Matches published events to the first live evaluation metric that reflects them, per event.
 *
 * <p>An event of series {@code tenant/agent/version} created at {@code c} (its {@code created_at}
 * in ms) is reflected by the first metric of that series seen with {@code turns > 0} and {@code
 * latest_event_at_ms >= c}. The bench publishes from one thread onto one partition and the job runs
 * at parallelism 1, so a series' events reach the window in publish order: a window whose newest
 * event is this one or a later one has counted this one, or an earlier window did (and then that
 * one matched first). The sample is the time the metric was seen − the time {@code publish()} was
 * called, both {@link System#nanoTime()} in one JVM.
 *
 * <p>Thread-safe: events are registered by the publisher, metrics observed by a consumer thread.
 */
final class EvalMatcher {

  /** {@code index}: the event's place in publish order, the same in every matcher. */
  private record Pending(int index, long createdAtMs, long publishedNanos) {}

  private final Map<String, Deque<Pending>> pending = new HashMap<>();
  private final Map<Integer, Long> seenNanosByEvent = new HashMap<>();
  private final List<Long> samplesNanos = new ArrayList<>();
  private int published;

  static String series(String tenant, String agent, String version) {
    return tenant + "/" + agent + "/" + version;
  }

  /** An event handed to {@code publish()} at {@code publishedNanos}; in publish order. */
  synchronized void published(String series, long createdAtMs, long publishedNanos) {
    pending
        .computeIfAbsent(series, s -> new ArrayDeque<>())
        .add(new Pending(published++, createdAtMs, publishedNanos));
  }

  /**
   * A live eval metric document (the eval topic's record, the edge's push: the same JSON) seen at
   * {@code seenNanos}; returns how many events it matched.
   */
  int seen(JsonNode metric, long seenNanos) {
    return seen(
        series(
            metric.path("tenant").asText(),
            metric.path("agent").asText(),
            metric.path("agent_version").asText()),
        metric.path("turns").asLong(),
        metric.path("latest_event_at_ms").asLong(),
        seenNanos);
  }

  /** A metric of {@code series} seen at {@code seenNanos}; returns how many events it matched. */
  synchronized int seen(String series, long turns, long latestEventAtMs, long seenNanos) {
    Deque<Pending> queue = pending.get(series);
    if (turns <= 0 || queue == null) {
      return 0;
    }
    int matched = 0;
    while (!queue.isEmpty() && queue.peek().createdAtMs() <= latestEventAtMs) {
      Pending event = queue.poll();
      samplesNanos.add(seenNanos - event.publishedNanos());
      seenNanosByEvent.put(event.index(), seenNanos);
      matched++;
    }
    return matched;
  }

  /** Events not reflected by any metric yet. */
  synchronized int unmatched() {
    return pending.values().stream().mapToInt(Deque::size).sum();
  }

  /**
   * Per event matched by both, when {@code later} saw it − when {@code earlier} did, in µs, sorted:
   * what the stage between the two places adds. Both matchers must have been given the same events
   * in the same order.
   */
  static long[] sortedDifferenceMicros(EvalMatcher later, EvalMatcher earlier) {
    Map<Integer, Long> a;
    Map<Integer, Long> b;
    synchronized (later) {
      a = new HashMap<>(later.seenNanosByEvent);
    }
    synchronized (earlier) {
      b = new HashMap<>(earlier.seenNanosByEvent);
    }
    return a.entrySet().stream()
        .filter(e -> b.containsKey(e.getKey()))
        .mapToLong(e -> Math.round((e.getValue() - b.get(e.getKey())) / 1e3))
        .sorted()
        .toArray();
  }

  /** The samples so far, in ms, sorted. */
  synchronized long[] sortedMillis() {
    return samplesNanos.stream().mapToLong(n -> Math.round(n / 1e6)).sorted().toArray();
  }
}
