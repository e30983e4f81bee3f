package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

class TestPortsTest {

  @Test
  void aPortHeldByAConnectionInTimeWaitIsNotFree() throws Exception {
    int port;
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress("127.0.0.1", 0));
      port = server.getLocalPort();
      try (Socket client = new Socket("127.0.0.1", port)) {
        // the accepted side closes first, so its end (local port = the server's) lingers
        server.accept().close();
        assertThat(client.getInputStream().read()).isEqualTo(-1);
      }
    }

    assertThat(TestPorts.holders(port)).anyMatch(line -> line.contains(" 06 ")); // TIME_WAIT
    assertThat(TestPorts.isFree(port)).isFalse();
  }

  @Test
  void aBindFailureOnTheDrawnPortIsTakenMeanwhileAndNamesTheListener() throws Exception {
    int port = TestPorts.free();
    assertThat(TestPorts.isFree(port)).isTrue();
    try (ServerSocket taker = new ServerSocket()) {
      taker.bind(new InetSocketAddress("127.0.0.1", port));
      BindException refused = null;
      try (ServerSocket late = new ServerSocket()) {
        late.bind(new InetSocketAddress("127.0.0.1", port));
      } catch (BindException e) {
        refused = e;
      }

      assertThat(refused).isNotNull();
      assertThat(TestPorts.takenMeanwhile(port, new IllegalStateException("start", refused)))
          .isTrue();
      assertThat(TestPorts.holders(port)).anyMatch(line -> line.contains(" 0A ")); // LISTEN
      assertThat(TestPorts.isFree(port)).isFalse();
    }
    assertThat(TestPorts.takenMeanwhile(port, new IOException("disk full"))).isFalse();
  }
}
