package dev.agentfactory.edge;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports for servers a test starts later (Kafka, Flink, Hazelcast, PostgreSQL), drawn below
 * Linux's ephemeral range (32768–60999). A port from {@code new ServerSocket(0)} comes from that
 * range, where any outgoing connection of this machine may take it between the test's check and the
 * server's bind (a Hazelcast member with auto-increment off then fails to start: seen in CI, the
 * cluster module's LeaseHeartbeatIT); below it only an explicit bind competes.
 */
public final class TestPorts {

  private TestPorts() {}

  /** A port on 127.0.0.1 that nothing listened on just now. */
  public static int free() {
    while (true) {
      int port = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(new InetSocketAddress("127.0.0.1", port));
        return port;
      } catch (IOException busy) {
        // taken: draw another
      }
    }
  }
}
