package dev.agentfactory.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaIT {

  @TempDir Path dataDir;

  @Test
  void publishedEventsSurviveABrokerRestartOnTheSameDataDir() throws Exception {
    Interaction event =
        Interaction.sandboxCommand("t", "sess-1", 0, "a", "1", "ls", "out", 0, Duration.ZERO);

    try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, 0)) {
      kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ);
      try (InteractionPublisher publisher = InteractionPublisher.create(kafka.bootstrapServers())) {
        publisher.publish(event).toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      assertThat(readAll(kafka))
          .singleElement()
          .satisfies(r -> assertThat(r.key()).isEqualTo("sess-1"));
    }

    try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, 0)) {
      assertThat(kafka.listTopics()).contains(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ);
      kafka.createTopics(Topics.INTERACTIONS); // exists already: no error
      List<ConsumerRecord<String, byte[]>> records = readAll(kafka);
      assertThat(records).hasSize(1);
      assertThat(new InteractionCodec().parse(records.get(0).value())).isEqualTo(event);
    }
  }

  private static List<ConsumerRecord<String, byte[]>> readAll(EmbeddedKafka kafka) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            "it-" + System.nanoTime(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest");
    List<ConsumerRecord<String, byte[]>> result = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.INTERACTIONS));
      Instant deadline = Instant.now().plusSeconds(30);
      while (result.isEmpty() && Instant.now().isBefore(deadline)) {
        consumer.poll(Duration.ofMillis(200)).forEach(result::add);
      }
    }
    return result;
  }
}
