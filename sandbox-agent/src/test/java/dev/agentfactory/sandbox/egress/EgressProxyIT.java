package dev.agentfactory.sandbox.egress;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The host-side proxy on a real unix socket in front of a real HTTP server on loopback: what a
 * sandbox's relay sends, byte for byte, without a sandbox in between.
 */
class EgressProxyIT {

  private HttpServer server;
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private final List<EgressDecision> decisions = new CopyOnWriteArrayList<>();
  private EgressProxy proxy;
  private EgressProxy.Endpoint endpoint;
  private Path dir;
  private int port;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    server.createContext(
        "/",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          seen.add(
              exchange.getRequestMethod()
                  + " "
                  + exchange.getRequestURI()
                  + " "
                  + new String(body, StandardCharsets.UTF_8));
          byte[] reply = ("got " + body.length + "\n").getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, reply.length);
          exchange.getResponseBody().write(reply);
          exchange.close();
        });
    server.start();
    port = server.getAddress().getPort();
    dir = Files.createTempDirectory("af-egress-");
    proxy = new EgressProxy();
    EgressGate gate =
        new EgressGate(
            "sbx-test",
            EgressPolicy.of(EgressRule.of("127.0.0.1", port, "GET", "POST", "CONNECT")),
            InetAddress::getAllByName,
            decisions::add);
    endpoint = proxy.open(dir.resolve("proxy.sock"), -1, gate);
  }

  @AfterEach
  void stop() throws IOException {
    endpoint.close();
    proxy.close();
    server.stop(0);
    Files.deleteIfExists(dir.resolve("proxy.sock"));
    Files.delete(dir);
  }

  /** Sends raw bytes, half-closes, and reads everything the proxy answers. */
  private String exchange(String request) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(endpoint.socket()));
      ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1));
      while (out.hasRemaining()) {
        ch.write(out);
      }
      ch.shutdownOutput();
      ByteArrayOutputStream in = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(8192);
      while (ch.read(buf.clear()) >= 0) {
        in.write(buf.array(), 0, buf.position());
      }
      return in.toString(StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void connectTunnelsBytesBothWays() throws IOException {
    String reply =
        exchange(
            "CONNECT 127.0.0.1:"
                + port
                + " HTTP/1.1\r\n\r\n"
                + "GET /inside HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

    assertThat(reply).startsWith("HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200");
    assertThat(reply).endsWith("got 0\n");
    assertThat(seen).containsExactly("GET /inside ");
  }

  @Test
  void chunkedBodyIsForwardedIntact() throws IOException {
    String reply =
        exchange(
            "POST http://127.0.0.1:"
                + port
                + "/up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");

    assertThat(reply).startsWith("HTTP/1.1 200").endsWith("got 11\n");
    assertThat(seen).containsExactly("POST /up hello world");
  }

  @Test
  void aPipelinedSecondRequestIsNeverForwarded() throws IOException {
    String reply =
        exchange(
            "GET http://127.0.0.1:"
                + port
                + "/first HTTP/1.1\r\n\r\n"
                + "DELETE /second HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

    assertThat(reply).startsWith("HTTP/1.1 200");
    assertThat(seen).containsExactly("GET /first ");
  }

  @Test
  void deniedRequestsGet403AndNothingReachesTheServer() throws IOException {
    List<String> replies = new ArrayList<>();
    replies.add(exchange("DELETE http://127.0.0.1:" + port + "/x HTTP/1.1\r\n\r\n"));
    replies.add(
        exchange("GET http://127.0.0.1:" + (port == 1 ? 2 : port - 1) + "/ HTTP/1.1\r\n\r\n"));
    replies.add(exchange("GET http://localhost:" + port + "/ HTTP/1.1\r\n\r\n"));
    replies.add(exchange("GET /relative HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n"));

    assertThat(replies.subList(0, 3)).allMatch(r -> r.startsWith("HTTP/1.1 403"));
    assertThat(replies.get(3)).startsWith("HTTP/1.1 400");
    assertThat(seen).isEmpty();
    assertThat(decisions)
        .extracting(EgressDecision::reason)
        .containsExactly(
            EgressDecision.METHOD_NOT_ALLOWED,
            EgressDecision.NOT_LISTED,
            EgressDecision.NOT_LISTED,
            EgressDecision.BAD_REQUEST);
  }

  @Test
  void closingTheEndpointEndsOpenTunnels() throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(endpoint.socket()));
      ch.write(
          ByteBuffer.wrap(
              ("CONNECT 127.0.0.1:" + port + " HTTP/1.1\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer buf = ByteBuffer.allocate(256);
      ch.read(buf);
      assertThat(new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII))
          .startsWith("HTTP/1.1 200");

      endpoint.close();

      assertThat(ch.read(buf.clear())).isEqualTo(-1);
      assertThat(endpoint.openConnections()).isZero();
      assertThat(endpoint.socket()).doesNotExist();
    }
  }
}
