package dev.agentfactory.edge.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class EdgeMetricsTest {

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
