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
}
