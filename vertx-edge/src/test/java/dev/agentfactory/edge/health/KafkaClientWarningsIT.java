package dev.agentfactory.edge.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.Topics;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

/**
 * The edge's publisher with its Kafka away (a real producer at a closed port), logging through the
 * node's log4j2.xml: its client's warning per connection attempt is written once per kind, not once
 * per attempt.
 */
class KafkaClientWarningsIT {

  private static final String NETWORK_CLIENT = "org.apache.kafka.clients.NetworkClient";
  private static final int ATTEMPTS = 10;

  @Test
  void aProducerWhoseBrokerIsAwayIsLoggedOncePerKindNotPerConnectionAttempt() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    String client = "af-test-" + UUID.randomUUID();
    try (CapturedLog attempts = CapturedLog.at(NETWORK_CLIENT);
        CapturedLog written = CapturedLog.atRoot();
        InteractionPublisher publisher =
            InteractionPublisher.create(
                "127.0.0.1:" + closed, Topics.INTERACTIONS, Map.of("client.id", client))) {
      publisher.publish(
          Interaction.sandboxCommand("t", "s-1", 1, "a", "1", "ls", "x", 0, Duration.ZERO));

      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (attempts.messages(NETWORK_CLIENT, Level.WARN, client).size() < ATTEMPTS
          && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
      List<String> raw = attempts.messages(NETWORK_CLIENT, Level.WARN, client);
      List<String> lines = written.messages(NETWORK_CLIENT, Level.WARN, client);
      long kinds = raw.stream().map(m -> m.replaceAll("\\d+", "#")).distinct().count();

      assertThat(raw).as("the client's warnings").hasSizeGreaterThanOrEqualTo(ATTEMPTS);
      assertThat(kinds).as(String.join("\n", raw)).isLessThan(raw.size());
      assertThat(lines.stream().filter(l -> !l.contains("(repeated ")))
          .as("written as they came: the first of each kind")
          .hasSize((int) kinds);
    }
  }
}
