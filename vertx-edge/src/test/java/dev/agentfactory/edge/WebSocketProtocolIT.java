package dev.agentfactory.edge;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentfactory.edge.api.WebSocketProtocol;
import dev.agentfactory.edge.eval.EvalHandler;
import dev.agentfactory.edge.eval.LiveEvalBoard;
import dev.agentfactory.sandbox.driver.Isolation;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A client that breaks RFC 6455 at the frame level gets the close status the RFC names (1002
 * protocol error, 1007 a text message that is not UTF-8, 1009 a message over the limit) before its
 * connection closes, and neither the node nor another session notices. Hand-built frames on a plain
 * socket ({@link RawWebSocket}) against real sessions on a real HTTP server with the edge's
 * WebSocket settings, port 0.
 */
class WebSocketProtocolIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int FIN = 0x80;
  private static final int RSV1 = 0x40;
  private static final int RSV2 = 0x20;
  private static final int RSV3 = 0x10;
  private static final int CONTINUATION = 0x0;
  private static final int TEXT = 0x1;
  private static final int CLOSE = 0x8;
  private static final int PING = 0x9;

  private static Vertx vertx;
  private static LocalSandboxPool pool;
  private static ClusterSessionEdge edge;

  /** A session opened before any case, that must not notice any of them. */
  private static RawWebSocket bystander;

  private static int bystanderPings;

  /** One frame on the wire: FIN, RSV1-3 and opcode as {@code firstByte}, masked or not. */
  record Frame(int firstByte, boolean masked, byte[] payload) {

    static Frame of(int firstByte, byte[] payload) {
      return new Frame(firstByte, true, payload);
    }
  }

  @BeforeAll
  static void startEdge() throws Exception {
    vertx = Vertx.vertx();
    Path workDir =
        Path.of(
            System.getProperty("java.io.tmpdir"),
            "af-it-sandboxes",
            "w-" + UUID.randomUUID().toString().substring(0, 8));
    // the cases only ping: no sandbox is ever leased, so none is kept warm or isolated
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withIsolation(Isolation.PROCESS)
                .withUidRange(378_000, 10)
                .withWarmTarget("shell", 0));
    edge =
        new ClusterSessionEdge(
            vertx,
            new LocalPoolLeasing(vertx, pool),
            (router, sessions) -> {
              router.get("/v1/sessions/:id").handler(sessions::resume);
              router
                  .get("/v1/eval/live/stream")
                  .handler(new EvalHandler(new LiveEvalBoard())::stream);
            });
    bystander = new RawWebSocket(port(), "/v1/sessions");
    assertThat(bystander.nextText().get("type").asText()).isEqualTo("session.ready");
  }

  @AfterAll
  static void stopEdge() throws Exception {
    if (bystander != null) {
      bystander.close();
    }
    if (edge != null) {
      edge.close();
    }
    if (pool != null) {
      pool.close();
    }
    if (vertx != null) {
      SessionShutdownIT.await(vertx.close());
    }
  }

  /** Whatever a case did to its own connection, the other session still answers. */
  @AfterEach
  void theOtherSessionCarriesOn() throws IOException {
    String id = "bystander-" + ++bystanderPings;
    bystander.sendText(ping(id));
    JsonNode pong = bystander.nextText();
    assertThat(pong.get("type").asText()).as(pong.toString()).isEqualTo("pong");
    assertThat(pong.get("id").asText()).isEqualTo(id);
  }

  static Stream<Arguments> violations() {
    byte[] ping = ping("p").getBytes(UTF_8);
    Stream<Arguments> reservedOpcodes =
        IntStream.of(0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF)
            .mapToObj(
                op ->
                    Arguments.of(
                        "reserved opcode 0x" + Integer.toHexString(op),
                        List.of(Frame.of(FIN | op, ping)),
                        "close 1002"));
    Stream<Arguments> badCloseCodes =
        IntStream.of(0, 999, 1004, 1005, 1006, 1015, 2999)
            .mapToObj(
                code ->
                    Arguments.of(
                        "close frame with status " + code,
                        List.of(Frame.of(FIN | CLOSE, status(code))),
                        "close 1002"));
    Stream<Arguments> framing =
        Stream.of(
            Arguments.of("RSV1 set", List.of(Frame.of(FIN | RSV1 | TEXT, ping)), "close 1002"),
            Arguments.of("RSV2 set", List.of(Frame.of(FIN | RSV2 | TEXT, ping)), "close 1002"),
            Arguments.of("RSV3 set", List.of(Frame.of(FIN | RSV3 | TEXT, ping)), "close 1002"),
            Arguments.of(
                "unmasked client frame", List.of(new Frame(FIN | TEXT, false, ping)), "close 1002"),
            Arguments.of(
                "ping with 126 bytes of payload",
                List.of(Frame.of(FIN | PING, new byte[126])),
                "close 1002"),
            Arguments.of(
                "fragmented ping (FIN=0)", List.of(Frame.of(PING, new byte[4])), "close 1002"),
            Arguments.of(
                "fragmented close (FIN=0)", List.of(Frame.of(CLOSE, status(1000))), "close 1002"),
            Arguments.of(
                "continuation frame with no message started",
                List.of(Frame.of(FIN | CONTINUATION, ping)),
                "close 1002"),
            Arguments.of(
                "text frame while a fragmented message is open",
                List.of(Frame.of(TEXT, "{\"v\":1,".getBytes(UTF_8)), Frame.of(FIN | TEXT, ping)),
                "close 1002"),
            Arguments.of(
                "close frame with a 1-byte payload",
                List.of(Frame.of(FIN | CLOSE, new byte[] {0x03})),
                "close 1002"),
            Arguments.of(
                "close frame whose reason is not UTF-8",
                List.of(Frame.of(FIN | CLOSE, new byte[] {0x03, (byte) 0xe8, (byte) 0xff})),
                "close 1007"),
            Arguments.of(
                "text message that is not UTF-8",
                List.of(Frame.of(FIN | TEXT, notUtf8("x", 0xff))),
                "close 1007"),
            Arguments.of(
                "text message that ends inside a character, over two frames",
                List.of(
                    Frame.of(TEXT, ping), Frame.of(FIN | CONTINUATION, new byte[] {(byte) 0xc3})),
                "close 1007"));
    return Stream.of(framing, reservedOpcodes, badCloseCodes).flatMap(s -> s);
  }

  @ParameterizedTest(name = "{0}: {2}")
  @MethodSource("violations")
  void aFrameThatBreaksTheProtocolClosesItsConnectionWithTheRfcStatus(
      String name, List<Frame> frames, String expected) throws IOException {
    try (RawWebSocket client = openSession()) {
      for (Frame frame : frames) {
        client.sendRawFrame(frame.firstByte(), frame.masked(), frame.payload());
      }
      assertThat(client.nextAnswer()).as(name).isEqualTo(expected);
    }
  }

  /**
   * The 1 MiB limit (docs/protocol.md#websocket-protocol-errors): the close comes before the
   * payload does.
   */
  @Test
  void aFrameThatDeclaresMoreThanOneMebibyteClosesItsConnectionWith1009() throws IOException {
    try (RawWebSocket client = openSession()) {
      client.sendTextFrameStart(WebSocketProtocol.MAX_MESSAGE_BYTES + 1L, "{\"v\":1");
      assertThat(client.nextAnswer()).isEqualTo("close 1009");
    }
  }

  @Test
  void continuationFramesThatAddUpToMoreThanOneMebibyteCloseTheirConnectionWith1009()
      throws IOException {
    try (RawWebSocket client = openSession()) {
      client.sendFragmented(ping("a".repeat(WebSocketProtocol.MAX_MESSAGE_BYTES)), 64 * 1024);
      assertThat(client.nextAnswer()).isEqualTo("close 1009");
    }
  }

  /**
   * The dashboard stream reads no client messages, but a broken frame closes it as a session's:
   * 1002, or 1007 for a close frame whose reason is not UTF-8 (it does not read the text of
   * messages).
   */
  @Test
  void aFrameThatBreaksTheProtocolClosesTheLiveEvalStreamWithTheRfcStatus() throws IOException {
    byte[] ping = ping("p").getBytes(UTF_8);
    Map<String, Frame> broken =
        Map.of(
            "RSV1 set",
            Frame.of(FIN | RSV1 | TEXT, ping),
            "unmasked",
            new Frame(FIN | TEXT, false, ping),
            "close frame whose reason is not UTF-8",
            Frame.of(FIN | CLOSE, new byte[] {0x03, (byte) 0xe8, (byte) 0xff}));
    Map<String, String> expected =
        Map.of(
            "RSV1 set", "close 1002",
            "unmasked", "close 1002",
            "close frame whose reason is not UTF-8", "close 1007");
    for (Map.Entry<String, Frame> c : broken.entrySet()) {
      try (RawWebSocket client = new RawWebSocket(port(), "/v1/eval/live/stream")) {
        Frame frame = c.getValue();
        client.sendRawFrame(frame.firstByte(), frame.masked(), frame.payload());
        assertThat(client.nextAnswer()).as(c.getKey()).isEqualTo(expected.get(c.getKey()));
      }
    }
  }

  /** A close for a broken frame ends the connection, not the session: the client may resume. */
  @Test
  void aSessionWhoseClientBrokeTheProtocolCanBeResumed() throws Exception {
    String id;
    long lastSeq;
    try (RawWebSocket client = new RawWebSocket(port(), "/v1/sessions")) {
      JsonNode ready = client.nextText();
      id = ready.get("session_id").asText();
      lastSeq = ready.get("seq").asLong();
      client.sendRawFrame(FIN | RSV1 | TEXT, true, ping("p").getBytes(UTF_8));
      assertThat(client.nextAnswer()).isEqualTo("close 1002");
    }
    URI resume =
        URI.create("ws://127.0.0.1:" + port() + "/v1/sessions/" + id + "?last_seq=" + lastSeq);
    try (FrameClient resumed = new FrameClient(resume)) {
      resumed.send(ping("resumed"));
      JsonNode pong = resumed.next(WAIT);
      assertThat(pong.get("type").asText()).as(pong.toString()).isEqualTo("pong");
      assertThat(pong.get("id").asText()).isEqualTo("resumed");
    }
  }

  /** A character split over two frames is UTF-8 all the same, and so is a U+FFFD sent as such. */
  @Test
  void aCharacterSplitOverTwoFramesIsTaken() throws IOException {
    try (RawWebSocket client = openSession()) {
      // 27 bytes before the id: the first frame ends inside the two bytes of its first character
      client.sendFragmented(ping("\u00e9\ufffd"), 28);
      JsonNode pong = client.nextText();
      assertThat(pong.get("type").asText()).as(pong.toString()).isEqualTo("pong");
      assertThat(pong.get("id").asText()).isEqualTo("\u00e9\ufffd");
    }
  }

  private static int port() {
    return edge.server.actualPort();
  }

  private static RawWebSocket openSession() throws IOException {
    RawWebSocket client = new RawWebSocket(port(), "/v1/sessions");
    assertThat(client.nextText().get("type").asText()).isEqualTo("session.ready");
    return client;
  }

  private static String ping(String id) {
    return "{\"v\":1,\"type\":\"ping\",\"id\":\"" + id + "\"}";
  }

  /** A close frame's payload: the status alone. */
  private static byte[] status(int code) {
    return new byte[] {(byte) (code >> 8), (byte) code};
  }

  /** A ping whose id is {@code id} followed by the byte {@code bad}, which UTF-8 cannot start. */
  private static byte[] notUtf8(String id, int bad) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes("{\"v\":1,\"type\":\"ping\",\"id\":\"".getBytes(UTF_8));
    bytes.writeBytes(id.getBytes(UTF_8));
    bytes.write(bad);
    bytes.writeBytes("\"}".getBytes(UTF_8));
    return bytes.toByteArray();
  }
}
