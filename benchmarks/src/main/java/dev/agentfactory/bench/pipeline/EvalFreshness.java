package dev.agentfactory.bench.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The live evaluation's freshness at the Kafka topic: a consumer on the eval topic hands every
 * metric record, as it arrives, to an {@link EvalMatcher}, which stamps each published event with
 * the first record of its series that reflects it. No edge in between: compare with {@link
 * EdgeEvalFreshness}, which stamps at the edge's WebSocket push.
 */
final class EvalFreshness implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private final EvalMatcher matcher;
  private volatile boolean closed;

  EvalFreshness(String bootstrapServers, String topic, EvalMatcher matcher) {
    this.matcher = matcher;
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

  private void run() {
    try {
      while (!closed) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
          long now = System.nanoTime();
          JsonNode m = JSON.readTree(r.value());
          matcher.seen(m, now);
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
