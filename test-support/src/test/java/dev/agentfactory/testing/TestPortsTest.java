package dev.agentfactory.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
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

  @Test
  void aStartWhosePortIsTakenMeanwhileRunsAgainOnAnotherPort() throws Exception {
    try (ServerSocket taker = listener(TestPorts.free())) {
      int taken = taker.getLocalPort();
      int other = TestPorts.free();
      List<Integer> tried = new ArrayList<>();

      TestPorts.OnPort<ServerSocket> started =
          TestPorts.startOn(
              () -> tried.isEmpty() ? taken : other,
              port -> {
                tried.add(port);
                return listener(port);
              });

      try (ServerSocket server = started.server()) {
        assertThat(tried).containsExactly(taken, other);
        assertThat(started.port()).isEqualTo(other).isEqualTo(server.getLocalPort());
      }
    }
  }

  @Test
  void aStartThatFailsOtherwiseIsNotRunAgain() {
    List<Integer> tried = new ArrayList<>();

    assertThatThrownBy(
            () ->
                TestPorts.startOnFree(
                    port -> {
                      tried.add(port);
                      throw new IOException("disk full");
                    }))
        .hasMessage("disk full");
    assertThat(tried).hasSize(1);
  }

  @Test
  void aStartWhosePortsAreAllTakenFailsWithTheLastBindFailure() throws Exception {
    try (ServerSocket taker = listener(TestPorts.free())) {
      List<Integer> tried = new ArrayList<>();

      assertThatThrownBy(
              () ->
                  TestPorts.startOn(
                      taker::getLocalPort,
                      port -> {
                        tried.add(port);
                        return listener(port);
                      }))
          .isInstanceOf(BindException.class);
      assertThat(tried).hasSize(TestPorts.ATTEMPTS);
    }
  }

  private static ServerSocket listener(int port) throws IOException {
    ServerSocket socket = new ServerSocket();
    try {
      socket.bind(new InetSocketAddress("127.0.0.1", port));
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }
}
