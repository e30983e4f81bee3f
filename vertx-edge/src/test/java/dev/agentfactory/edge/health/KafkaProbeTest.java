package dev.agentfactory.edge.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.PublisherConfig;
import dev.agentfactory.connectors.kafka.Topics;
import java.time.Duration;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

class KafkaProbeTest {

  private final KafkaProbe probe = new KafkaProbe(null, "kafka:9092", "external", () -> null);

  @Test
  void anOutageIsLoggedWhenItStartsRemindedAtMostEveryMinuteAndLoggedOnceWhenItEnds() {
    long second = 1_000_000_000L;
    KafkaProbe.Answer away = KafkaProbe.Answer.failed("TimeoutException: no node");
    KafkaProbe.Answer back = KafkaProbe.Answer.ok("c1", 1);
    try (CapturedLog log = CapturedLog.atRoot()) {
      probe.logChange(back, 0);
      for (long t = 5; t < 150; t += 5) { // a question every 5 s, none answered for 145 s
        probe.logChange(away, t * second);
      }
      probe.logChange(back, 150 * second);
      probe.logChange(back, 155 * second);

      String logger = KafkaProbe.class.getName();
      assertThat(log.messages(logger, Level.WARN, "kafka:9092"))
          .hasSize(3)
          .satisfies(m -> assertThat(m.get(0)).contains("TimeoutException: no node"))
          .satisfies(m -> assertThat(m.get(1)).contains("still does not answer after 60 s"))
          .satisfies(m -> assertThat(m.get(2)).contains("still does not answer after 120 s"));
      assertThat(log.messages(logger, Level.INFO, "kafka:9092"))
          .containsExactly(
              "Kafka at kafka:9092 (external) answers again after 145 s (cluster c1, 1 broker(s))");
    }
  }

  @Test
  void kafkaThatAnsweredIsUpWithItsCluster() {
    ComponentStatus status = probe.status(KafkaProbe.Answer.ok("c1", 3), true, null);

    assertThat(status.state()).isEqualTo(ComponentStatus.State.UP);
    assertThat(status.detail())
        .containsEntry("bootstrap_servers", "kafka:9092")
        .containsEntry("mode", "external")
        .containsEntry("cluster_id", "c1")
        .containsEntry("brokers", 3)
        .doesNotContainKey("reason");
  }

  @Test
  void kafkaThatStoppedAnsweringIsDownWithTheReasonAndTheNodeIsNot200() {
    ComponentStatus status =
        probe.status(KafkaProbe.Answer.failed("TimeoutException: no node"), true, null);

    assertThat(status.state()).isEqualTo(ComponentStatus.State.DOWN);
    assertThat(status.isHealthy()).isFalse();
    assertThat(status.detail().get("reason").toString()).contains("TimeoutException: no node");
  }

  @Test
  void kafkaThatNeverAnsweredIsStillStarting() {
    assertThat(probe.status(null, false, null).state()).isEqualTo(ComponentStatus.State.STARTING);
    ComponentStatus notYet = probe.status(KafkaProbe.Answer.failed("refused"), false, null);
    assertThat(notYet.state()).isEqualTo(ComponentStatus.State.STARTING);
    assertThat(notYet.detail().get("reason").toString()).contains("refused");
  }

  @Test
  void aBackloggedPublisherMakesAnsweringKafkaDegradedButHealthy() {
    MockProducer<String, byte[]> producer =
        new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
    try (InteractionPublisher publisher =
        new InteractionPublisher(
            producer,
            Topics.INTERACTIONS,
            new PublisherConfig(2, 1 << 20, Duration.ofMinutes(1)))) {
      KafkaProbe.Answer answered = KafkaProbe.Answer.ok("c1", 1);
      assertThat(probe.status(answered, true, publisher).state())
          .isEqualTo(ComponentStatus.State.UP);

      publisher.publish(event("a"));
      publisher.publish(event("b")); // 2 of 2 unacknowledged: over 80 %
      ComponentStatus status = probe.status(answered, true, publisher);

      assertThat(status.state()).isEqualTo(ComponentStatus.State.DEGRADED);
      assertThat(status.isHealthy()).isTrue();
      assertThat(status.detail()).containsEntry("buffered_events", 2);
      assertThat(status.detail().get("reason").toString())
          .contains("2 unacknowledged events")
          .contains("recording_backlog");
      // unanswered and backlogged: down, not degraded
      assertThat(probe.status(KafkaProbe.Answer.failed("gone"), true, publisher).state())
          .isEqualTo(ComponentStatus.State.DOWN);
    }
  }

  private static Interaction event(String command) {
    return Interaction.sandboxCommand(
        "acme", "s-" + command, 0, "shell", "1", command, "", 0, Duration.ZERO);
  }
}
