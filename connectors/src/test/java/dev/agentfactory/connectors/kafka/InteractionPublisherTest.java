package dev.agentfactory.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class InteractionPublisherTest {

  @Test
  void eventIsKeyedBySessionIdAndCompletesWhenAcknowledged() throws Exception {
    MockProducer<String, byte[]> producer =
        new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    Interaction event =
        Interaction.sandboxCommand("t", "sess-9", 0, "a", "1", "ls", "x", 0, Duration.ZERO);
    try (InteractionPublisher publisher = new InteractionPublisher(producer, "topic", 10)) {
      CompletableFuture<Void> sent = publisher.publish(event).toCompletableFuture();
      sent.get(5, TimeUnit.SECONDS);
    }
    assertThat(producer.history())
        .singleElement()
        .satisfies(
            record -> {
              assertThat(record.topic()).isEqualTo("topic");
              assertThat(record.key()).isEqualTo("sess-9");
              assertThat(new InteractionCodec().parse(record.value())).isEqualTo(event);
            });
    assertThat(producer.closed()).isTrue();
  }

  @Test
  void whenKafkaCannotBeReachedQueuedSendsFailAtOnceInsteadOfEachWaitingForMetadata()
      throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    Interaction event =
        Interaction.sandboxCommand("t", "sess-9", 0, "a", "1", "ls", "x", 0, Duration.ZERO);
    // a real producer; each send may wait 1 s for the topic's metadata, which never comes
    try (InteractionPublisher publisher =
        InteractionPublisher.create(
            "127.0.0.1:" + port, "topic", java.util.Map.of("max.block.ms", 1_000))) {
      java.util.List<CompletableFuture<Void>> sends = new java.util.ArrayList<>();
      for (int i = 0; i < 50; i++) {
        sends.add(publisher.publish(event).toCompletableFuture());
      }
      java.util.List<Throwable> failures = new java.util.ArrayList<>();
      for (CompletableFuture<Void> send : sends) {
        failures.add(send.handle((ok, e) -> e).get(60, TimeUnit.SECONDS));
      }
      assertThat(failures).doesNotContainNull();
      assertThat(failures.get(0))
          .isInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
      // the first send waited for metadata; the ones queued behind it were not sent at all
      assertThat(failures.subList(1, failures.size()))
          .allSatisfy(
              e ->
                  assertThat(e)
                      .isInstanceOf(InteractionPublisher.KafkaUnavailableException.class)
                      .hasMessageContaining("topic")
                      .hasMessageContaining("not present in metadata"));
    }
  }
}
