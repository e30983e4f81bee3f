package dev.agentfactory.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real single-node broker goes away for longer than the producer's {@code max.block.ms} (5 s)
 * while a session keeps publishing, then comes back on the same port and data: every event arrives,
 * once each and in order.
 */
class InteractionPublisherIT {

  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dataDir;

  @Test
  void eventsPublishedWhileKafkaIsAwayBeforeTheFirstSendArriveInOrderOnceItIsBack()
      throws Exception {
    int port;
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, 0)) {
      port = kafka.port();
      kafka.createTopics(Topics.INTERACTIONS);
    }
    // the broker is down at the publisher's first send: it has no metadata for the topic
    List<CompletableFuture<Void>> sends = new ArrayList<>();
    try (InteractionPublisher publisher = InteractionPublisher.create("localhost:" + port)) {
      keepPublishingWhile(() -> publisher.retries() < 2, publisher, sends);
      assertThat(sends).noneMatch(CompletableFuture::isDone);

      try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, port)) {
        for (int i = 0; i < 5; i++) {
          sends.add(publisher.publish(event(sends.size())).toCompletableFuture());
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new))
            .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(turnsOnTheTopic(kafka, sends.size()))
            .containsExactlyElementsOf(IntStream.range(0, sends.size()).boxed().toList());
      }
    }
  }

  @Test
  void eventsPublishedWhileKafkaIsAwayAfterItWasUpArriveInOrderOnceItIsBack() throws Exception {
    List<CompletableFuture<Void>> sends = new ArrayList<>();
    EmbeddedKafka first = EmbeddedKafka.start(dataDir, 0);
    int port = first.port();
    try (InteractionPublisher publisher = InteractionPublisher.create("localhost:" + port)) {
      try (first) {
        first.createTopics(Topics.INTERACTIONS);
        sends.add(publisher.publish(event(0)).toCompletableFuture());
        sends.get(0).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      }
      // the producer has the topic's metadata: it takes the events and retries them itself
      keepPublishingWhile(() -> sends.size() < 80, publisher, sends);
      assertThat(sends.subList(1, sends.size())).noneMatch(CompletableFuture::isDone);

      try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, port)) {
        sends.add(publisher.publish(event(sends.size())).toCompletableFuture());
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new))
            .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(turnsOnTheTopic(kafka, sends.size()))
            .containsExactlyElementsOf(IntStream.range(0, sends.size()).boxed().toList());
      }
    }
  }

  /**
   * Publishes an event about every 100 ms, as a busy session does, while {@code condition} holds:
   * until the publisher found Kafka away twice (its sends waited {@code max.block.ms}, 5 s, for
   * metadata each time), or for 80 events (8 s at that pace).
   */
  private static void keepPublishingWhile(
      BooleanSupplier condition,
      InteractionPublisher publisher,
      List<CompletableFuture<Void>> sends)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("still publishing at the deadline").isNegative();
      sends.add(publisher.publish(event(sends.size())).toCompletableFuture());
      Thread.sleep(100); // the pace of a session producing events, not a wait for a result
    }
  }

  private static Interaction event(int turn) {
    return Interaction.sandboxCommand(
        "t", "sess-outage", turn, "a", "1", "echo " + turn, "x", 0, Duration.ZERO);
  }

  /** The turns of the events on the interactions topic, in offset order, once there are n. */
  private static List<Integer> turnsOnTheTopic(EmbeddedKafka kafka, int n) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            "it-" + System.nanoTime(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest");
    List<Integer> turns = new ArrayList<>();
    InteractionCodec codec = new InteractionCodec();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.INTERACTIONS));
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (turns.size() < n && System.nanoTime() - deadline < 0) {
        consumer
            .poll(Duration.ofMillis(200))
            .forEach(r -> turns.add(codec.parse(r.value()).turn()));
      }
      // anything beyond n (a duplicate) arrives with the same batch or the next poll
      consumer.poll(Duration.ofMillis(500)).forEach(r -> turns.add(codec.parse(r.value()).turn()));
    }
    return turns;
  }
}
