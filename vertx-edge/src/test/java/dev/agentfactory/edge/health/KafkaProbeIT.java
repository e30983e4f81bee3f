package dev.agentfactory.edge.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the node logs while its Kafka is away: a real single-node broker stopped and started again
 * on the same port and data, the probe asked as the node's {@code /health} asks it, and the events
 * the node's own log4j2.xml lets through counted.
 */
class KafkaProbeIT {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String PROBE = KafkaProbe.class.getName();

  @TempDir Path dir;
  private EmbeddedKafka kafka;

  @AfterEach
  void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void anOutageIsLoggedOnceWhenItStartsAndOnceWhenKafkaIsBackNotPerConnectionAttempt()
      throws Exception {
    kafka = EmbeddedKafka.start(dir, 0);
    int port = kafka.port();
    NodeHealth health = new NodeHealth();
    try (KafkaProbe probe = KafkaProbe.create(kafka.bootstrapServers(), "embedded", () -> null);
        CapturedLog log = CapturedLog.atRoot()) {
      assertThat(probeUntil(probe, health, ComponentStatus.State.UP)).isTrue();

      kafka.close();
      assertThat(probeUntil(probe, health, ComponentStatus.State.DOWN)).isTrue();
      // away for three more questions: the admin client tries to connect about every second
      long asked = probe.questions();
      assertThat(probeUntil(probe, health, () -> probe.questions() >= asked + 3)).isTrue();

      assertThat(log.messages(PROBE, Level.WARN, "stopped answering"))
          .as("the outage, once")
          .hasSize(1)
          .allMatch(m -> m.contains(kafka.bootstrapServers()));
      assertThat(log.messages("org.apache.kafka", Level.WARN, KafkaProbe.CLIENT_ID))
          .as("the probe's admin client's warnings per connection attempt")
          .isEmpty();

      kafka = EmbeddedKafka.start(kafka.dataDir(), port);
      assertThat(probeUntil(probe, health, ComponentStatus.State.UP)).isTrue();

      assertThat(log.messages(PROBE, Level.INFO, "answers again")).hasSize(1);
      assertThat(log.messages(PROBE, Level.WARN, "")).as("no reminder within a minute").hasSize(1);
    }
  }

  private static boolean probeUntil(
      KafkaProbe probe, NodeHealth health, ComponentStatus.State state) throws Exception {
    return probeUntil(
        probe, health, () -> health.snapshot().get(NodeHealth.KAFKA).state() == state);
  }

  /** Asks as the node's health check does (every 200 ms here) until {@code done}, or false. */
  private static boolean probeUntil(KafkaProbe probe, NodeHealth health, BooleanSupplier done)
      throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      probe.probe(health);
      if (done.getAsBoolean()) {
        return true;
      }
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(200); // the health check's own period, with a deadline
    }
  }
}
