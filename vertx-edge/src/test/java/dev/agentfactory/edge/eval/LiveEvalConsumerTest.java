package dev.agentfactory.edge.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The feed's recovery. A real broker cannot be made to fail a poll on demand, so Kafka's own {@link
 * MockConsumer} injects the failure here; {@code EvalLiveIT} runs the feed on a real broker.
 */
class LiveEvalConsumerTest {

  private static final String TOPIC = "af.eval.live";

  @Test
  void aFailingConsumerIsCountedAndTheFeedStartsOverAndKeepsFeedingTheBoard() throws Exception {
    MockConsumer<byte[], byte[]> kafka = new MockConsumer<>("earliest");
    TopicPartition partition = new TopicPartition(TOPIC, 0);
    kafka.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, null, null, null)));
    kafka.updateBeginningOffsets(Map.of(partition, 0L));
    kafka.updateEndOffsets(Map.of(partition, 0L));
    kafka.setPollException(new KafkaException("broker went away"));
    LiveEvalBoard board =
        new LiveEvalBoard(
            Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), LiveEvalBoard.DEFAULT_RETENTION);

    LiveEvalConsumer feed = new LiveEvalConsumer(kafka, TOPIC, board).start();
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> feed.failures() == 1);
      // after the back-off it reads again: a bad record is skipped, a good one reaches the board
      kafka.schedulePollTask(
          () -> {
            kafka.addRecord(record(0, "{not a metric"));
            kafka.addRecord(record(1, metric("acme", 1_000)));
          });
      await().atMost(Duration.ofSeconds(30)).until(() -> board.snapshot("acme").size() == 1);
      assertThat(feed.rejected()).isEqualTo(1);
      assertThat(feed.failures()).isEqualTo(1);
    } finally {
      feed.close();
    }
    assertThat(kafka.closed()).isTrue();
  }

  private static ConsumerRecord<byte[], byte[]> record(long offset, String value) {
    return new ConsumerRecord<>(
        TOPIC,
        0,
        offset,
        "k".getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8));
  }

  private static String metric(String tenant, long windowEnd) {
    return new JsonObject()
        .put("tenant", tenant)
        .put("agent", "calc")
        .put("agent_version", "v1")
        .put("window_start_ms", windowEnd - 1_000)
        .put("window_end_ms", windowEnd)
        .put("turns", 3)
        .put("success_rate", 1.0)
        .encode();
  }
}
