package dev.agentfactory.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real broker whose picked port another process binds between the pick and the broker's bind (an
 * outgoing connection does that to a port of the ephemeral range): the start picks again.
 */
class EmbeddedKafkaPortsIT {

  @TempDir Path dataDir;

  private final List<ServerSocket> takers = new ArrayList<>();
  private final List<int[]> picked = new ArrayList<>();

  @AfterEach
  void releasePorts() throws IOException {
    for (ServerSocket taker : takers) {
      taker.close();
    }
  }

  @Test
  void aFreePortTakenBeforeTheBrokerBindsItIsPickedAgain() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, 0, Map.of(), takingOnFirstPick(0))) {
      kafka.createTopics(Topics.INTERACTIONS);

      assertThat(picked).hasSize(2);
      assertThat(kafka.port()).isEqualTo(picked.get(1)[0]).isNotEqualTo(picked.get(0)[0]);
      assertThat(kafka.listTopics()).contains(Topics.INTERACTIONS);
    }
  }

  @Test
  void aGivenPortKeepsItWhenTheControllerPortIsTakenBeforeTheBrokerBindsIt() throws Exception {
    int given = EmbeddedKafka.ports(0)[0];

    try (EmbeddedKafka kafka =
        EmbeddedKafka.start(dataDir, given, Map.of(), takingOnFirstPick(1))) {
      kafka.createTopics(Topics.INTERACTIONS);

      assertThat(picked).hasSize(2);
      assertThat(kafka.port()).isEqualTo(given);
      assertThat(picked.get(1)[1]).isNotEqualTo(picked.get(0)[1]);
    }
  }

  @Test
  void aGivenPortInUseFailsNamingThePort() throws Exception {
    ServerSocket taker = take(EmbeddedKafka.ports(0)[0]);
    int given = taker.getLocalPort();

    assertThatThrownBy(
            () ->
                EmbeddedKafka.start(
                    dataDir, given, Map.of(), p -> remember(EmbeddedKafka.ports(p))))
        .isInstanceOf(PortInUseException.class)
        .hasMessageContaining("localhost:" + given + ": the port is in use")
        .satisfies(e -> assertThat(((PortInUseException) e).port()).isEqualTo(given));
    assertThat(picked).hasSize(1); // not tried again: a given port does not change
  }

  /** Picks as the broker does; on the first pick, binds picked port {@code index} (0 client). */
  private EmbeddedKafka.PortPicker takingOnFirstPick(int index) {
    return port -> {
      int[] ports = remember(EmbeddedKafka.ports(port));
      if (picked.size() == 1) {
        take(ports[index]);
      }
      return ports;
    };
  }

  private int[] remember(int[] ports) {
    picked.add(ports);
    return ports;
  }

  private ServerSocket take(int port) throws IOException {
    ServerSocket taker = new ServerSocket();
    takers.add(taker);
    taker.bind(new InetSocketAddress("localhost", port));
    return taker;
  }
}
