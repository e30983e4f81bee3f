package dev.agentfactory.edge.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class EdgeMetricsTest {

  /**
   * A session whose connection dropped stays live (and counted) until its resume grace ends, and
   * sandboxes are leased at the first command, not at open (docs/protocol.md): the HELP lines say
   * so, where they said "with an open WebSocket" and "from session open".
   */
  @Test
  void theHelpOfTheSessionAndLeaseSeriesSaysWhatTheyCount() {
    try (EdgeMetrics metrics = new EdgeMetrics()) {
      assertThat(metrics.scrape())
          .contains(
              "# HELP af_sessions_active Live sessions on this node: connected, or waiting for a"
                  + " resume after their connection dropped")
          .contains(
              "# HELP af_lease_latency_seconds Time from a session asking for a sandbox (at its"
                  + " first command or tool call, or the next one after a sandbox_lost) to a"
                  + " leased, recorded one");
    }
  }

  @Test
  void aCounterReadFromAMethodReferenceNobodyElseHoldsKeepsCountingAfterGarbageCollection() {
    AtomicLong retries = new AtomicLong(7);
    try (EdgeMetrics metrics = new EdgeMetrics()) {
      // as the node registers af_event_publish_retries: a method reference made for the call
      Supplier<Number> count = retries::get;
      WeakReference<Supplier<Number>> collected = new WeakReference<>(count);
      metrics.counter("af_test_retries", "retries", "topic", "t", count);
      count = null;
      for (int i = 0; i < 20 && collected.get() != null; i++) {
        System.gc();
      }

      assertThat(collected.get()).as("the registry keeps what it reads").isNotNull();
      assertThat(metrics.scrape()).contains("af_test_retries_total{topic=\"t\"} 7.0");
    }
  }
}
