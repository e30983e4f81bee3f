package dev.agentfactory.edge.eval;

import io.vertx.core.http.ServerWebSocket;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one dashboard's WebSocket is sent: each series' windows in order, never one older than the
 * window already sent. While the socket's write queue is full, the newest window of each series is
 * held (a newer one replaces it) and written as soon as the queue drains, so a slow dashboard skips
 * intermediate windows but always ends up with the latest: a window skipped outright stayed missing
 * until the series sent another, for an agent version that went quiet up to the board's retention.
 *
 * <p>Not thread-safe: every call runs on the socket's context.
 */
final class DashboardPush {

  private final ServerWebSocket socket;
  private final Map<LiveMetric.Series, Long> sentWindowEnd = new HashMap<>();
  private final Map<LiveMetric.Series, LiveMetric> held = new LinkedHashMap<>();

  DashboardPush(ServerWebSocket socket) {
    this.socket = socket;
    socket.drainHandler(v -> flush());
  }

  /** Sends {@code metric} now, or holds it until the write queue drains. */
  void offer(LiveMetric metric) {
    Long sent = sentWindowEnd.get(metric.key());
    if (sent != null && sent >= metric.windowEndMs()) {
      return; // already sent (the snapshot and the watch overlap) or an older window
    }
    // Behind held windows, a new one waits too: the held ones are written first, in order.
    if (!held.isEmpty() || socket.writeQueueFull()) {
      held.merge(
          metric.key(),
          metric,
          (old, fresh) -> fresh.windowEndMs() >= old.windowEndMs() ? fresh : old);
      return;
    }
    send(metric);
  }

  /** Writes held windows until none is left or the queue is full again (a drain follows then). */
  private void flush() {
    Iterator<LiveMetric> it = held.values().iterator();
    while (it.hasNext() && !socket.writeQueueFull()) {
      send(it.next());
      it.remove();
    }
  }

  private void send(LiveMetric metric) {
    sentWindowEnd.put(metric.key(), metric.windowEndMs());
    socket.writeTextMessage(metric.document().encode());
  }
}
