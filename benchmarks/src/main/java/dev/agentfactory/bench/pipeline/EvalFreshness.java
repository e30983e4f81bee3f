package dev.agentfactory.bench.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Freshness of the live evaluation: for every series (tenant/agent/version), each time a metric
 * record arrives whose {@code latest_event_at_ms} is newer than any before, the sample is arrival
 * time − that event's {@code created_at}: how long the newest event took from creation (the bench
 * publishes right after creating it) to its first appearance in a live metric on the topic. Wall
 * clock on both sides, one JVM.
 */
final class EvalFreshness implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private final Map<String, Long> newest = new HashMap<>();
  private final List<Long> samples = new ArrayList<>();
  private volatile boolean recording;
  private volatile boolean closed;

  EvalFreshness(String bootstrapServers, String topic) {
    consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "bench-eval-freshness",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
    consumer.subscribe(List.of(topic));
    thread = new Thread(this::run, "eval-freshness");
    thread.setDaemon(true);
    thread.start();
  }

  /** From now on, samples count (before: warm-up). */
  void record() {
    recording = true;
  }

  synchronized long[] sortedSamples() {
    return samples.stream().mapToLong(Long::longValue).sorted().toArray();
  }

  private void run() {
    try {
      while (!closed) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
          long now = System.currentTimeMillis();
          JsonNode m = JSON.readTree(r.value());
          String key =
              m.path("tenant").asText()
                  + "/"
                  + m.path("agent").asText()
                  + "/"
                  + m.path("agent_version").asText();
          long latest = m.path("latest_event_at_ms").asLong();
          synchronized (this) {
            Long before = newest.get(key);
            if (m.path("turns").asLong() > 0 && (before == null || latest > before)) {
              newest.put(key, latest);
              if (recording) {
                samples.add(now - latest);
              }
            }
          }
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (java.io.IOException e) {
      throw new IllegalStateException("eval record is not JSON", e);
    } finally {
      consumer.close();
    }
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    consumer.wakeup();
    thread.join(5_000);
  }
}
