package dev.agentfactory.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** The ports an embedded broker listens on: the client's and the controller's never coincide. */
class EmbeddedKafkaPortsTest {

  @Test
  void freePortsDiffer() throws Exception {
    for (int i = 0; i < 200; i++) {
      int[] ports = EmbeddedKafka.ports(0);
      assertThat(ports[0]).isPositive();
      assertThat(ports[1]).isPositive().isNotEqualTo(ports[0]);
    }
  }

  @Test
  void aGivenClientPortIsKeptAndTheControllerTakesAnother() throws Exception {
    for (int i = 0; i < 200; i++) {
      // a port the kernel has just handed out and taken back: the likeliest to come again
      int given;
      try (ServerSocket socket = new ServerSocket(0)) {
        given = socket.getLocalPort();
      }
      int[] ports = EmbeddedKafka.ports(given);
      assertThat(ports[0]).isEqualTo(given);
      assertThat(ports[1]).isPositive().isNotEqualTo(given);
    }
  }
}
