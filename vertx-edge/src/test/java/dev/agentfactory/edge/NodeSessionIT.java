package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.dataset.version.CommittedFiles;
import dev.agentfactory.edge.config.ConfigSource;
import dev.agentfactory.edge.config.NodeConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first end-to-end slice through every real component: a node on its embedded defaults (Vert.x
 * edge, Hazelcast member, bubblewrap warm pool, KRaft Kafka broker, Flink MiniCluster running the
 * pipeline job submitted over REST), a WebSocket client, and DuckDB reading the committed Parquet.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeSessionIT {

  private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir static Path dataDir;
  private static AgentFactoryNode node;
  private static String sessionId;

  @BeforeAll
  static void startNode() throws IOException {
    // Sandboxes run as unprivileged uids, which must traverse the data dir; JUnit makes it 0700.
    Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx--x--x"));
    String jar = System.getProperty("af.test.pipeline.jar");
    assertThat(jar).as("af.test.pipeline.jar (set by failsafe)").isNotNull();
    // an operator's template: python with an egress allowlist (none of the built-ins has network)
    Path templates = Files.createDirectories(dataDir.resolve("templates"));
    Files.writeString(
        templates.resolve("python-web.json"),
        """
        {"name": "python-web", "description": "python3 with HTTPS to one host",
         "limits": {"memory_mb": 512, "pids": 128, "cpu_millis": 1000, "disk_mb": 256},
         "network": {"egress": [{"host": "docs.example.invalid", "ports": [443]}]},
         "warm_pool_size": 0, "requires": ["/usr/bin/python3"]}
        """);
    // a recorded savepoint that is gone (deleted, or from another machine): the pipeline must
    // start from the committed offsets instead (test 1 sees it RUNNING), and no cut may name it
    Files.createDirectories(dataDir.resolve("flink"));
    Files.writeString(dataDir.resolve("flink/last-savepoint"), "file:/nonexistent/savepoint-gone");
    // a job jar an earlier run uploaded and never deleted (a crash): the start deletes it
    Path upload = Files.createDirectories(dataDir.resolve("flink/jars/flink-web-upload"));
    Files.write(upload.resolve("0123-stale_flink-jobs.jar"), new byte[1024]);
    Map<String, String> flags = new HashMap<>();
    flags.put("sandbox.templates.dir", templates.toString());
    flags.putAll(
        Map.of(
            "data.dir", dataDir.toString(),
            "http.port", "0",
            "kafka.embedded.port", "0",
            "flink.embedded.port", "0",
            "cluster.port", "5931",
            "flink.pipeline.jar", jar,
            "flink.checkpoint.interval.ms", "1000",
            "sandbox.pool.size", "1",
            // Long enough that no other test idles, short enough for the idle test below.
            "session.idle.pause.ms", "5000",
            "session.idle.hibernate.ms", "8000"));
    node = AgentFactoryNode.start(NodeConfig.from(new ConfigSource(flags, Map.of(), Map.of())));
  }

  @AfterAll
  static void stopNode() throws IOException {
    if (node != null) {
      node.close();
    }
    assertThat(processesUnder(dataDir)).as("processes left behind under %s", dataDir).isEmpty();
  }

  @Test
  @Order(1)
  void healthReportsEveryComponentUp() throws Exception {
    HttpResponse<String> response =
        dev.agentfactory.edge.TestHttp.client()
            .send(
                HttpRequest.newBuilder(URI.create(node.httpUrl() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = MAPPER.readTree(response.body());
    assertThat(body.get("status").asText()).isEqualTo("UP");
    for (String component :
        List.of("edge", "hazelcast", "sandbox_pool", "kafka", "flink_job", "stores")) {
      assertThat(body.at("/components/" + component + "/status").asText())
          .as(component)
          .isEqualTo("UP");
    }
    assertThat(body.at("/components/flink_job/detail/state").asText()).isEqualTo("RUNNING");
    assertThat(uploadedJars()).as("job jars kept after the start's submission").isEmpty();

    // a request line the HTTP decoder refuses gets the API's error shape (ApiIT has the others)
    assertThat(raw("GET /v1/agents?q=" + "x".repeat(5_000) + " HTTP/1.1\r\nHost: a\r\n\r\n"))
        .matches("(?s)HTTP/1\\.[01] 414 .*")
        .contains("\"code\":\"uri_too_long\"");
  }

  @Test
  @Order(2)
  void aSessionRunsACommandInASandboxAndSurvivesBadFrames() throws Exception {
    try (FrameClient client = new FrameClient(sessionsUri())) {
      JsonNode ready = client.next(FRAME_TIMEOUT);
      assertThat(ready.get("type").asText()).isEqualTo("session.ready");
      assertThat(ready.get("seq").asLong()).isEqualTo(1);
      assertThat(ready.get("isolation").asText()).isEqualTo("namespace");
      assertThat(ready.get("node").asText()).isNotEmpty();
      sessionId = ready.get("session_id").asText();

      client.send("{not json");
      JsonNode error = client.next(FRAME_TIMEOUT);
      assertThat(error.get("type").asText()).isEqualTo("error");
      assertThat(error.get("code").asText()).isEqualTo("malformed_json");

      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"x\",\"argv\":[1]}");
      JsonNode invalid = client.next(FRAME_TIMEOUT);
      assertThat(invalid.get("code").asText()).isEqualTo("invalid_field");
      assertThat(invalid.get("field").asText()).isEqualTo("argv[0]");
      assertThat(invalid.get("id").asText()).isEqualTo("x");

      client.send(
          "{\"v\":1,\"type\":\"exec\",\"id\":\"big\",\"command\":\"" + "a".repeat(70_000) + "\"}");
      assertThat(client.next(FRAME_TIMEOUT).get("code").asText()).isEqualTo("frame_too_large");

      client.sendBinary(new byte[] {1, 2, 3});
      assertThat(client.next(FRAME_TIMEOUT).get("code").asText()).isEqualTo("unsupported_frame");
      // Nothing so far needed a sandbox: the session holds none (leases are lazy).
      assertThat(sandboxesLeased()).isZero();

      client.send(
          "{\"v\":1,\"type\":\"exec\",\"id\":\"c1\",\"command\":"
              + "\"echo contact alice@example.com; id -u; echo oops >&2; exit 3\"}");
      List<JsonNode> frames =
          client.until(f -> f.get("type").asText().equals("exec.exit"), FRAME_TIMEOUT);

      JsonNode leased = frames.get(0);
      assertThat(leased.get("type").asText()).isEqualTo("sandbox.leased");
      assertThat(leased.get("fencing_token").asLong()).isPositive();
      assertThat(leased.get("isolation").asText()).isEqualTo("namespace");
      assertThat(sandboxesLeased()).isEqualTo(1);
      String stdout = output(frames, "stdout");
      assertThat(stdout).startsWith("contact alice@example.com\n");
      assertThat(Integer.parseInt(stdout.lines().toList().get(1))).as("uid").isNotZero();
      assertThat(output(frames, "stderr")).isEqualTo("oops\n");
      JsonNode exit = frames.get(frames.size() - 1);
      assertThat(exit.get("id").asText()).isEqualTo("c1");
      assertThat(exit.get("status").asText()).isEqualTo("exited");
      assertThat(exit.get("exit_code").asInt()).isEqualTo(3);
      assertSeqHasNoGaps(client, frames);

      client.send("{\"v\":1,\"type\":\"ping\",\"id\":\"p\"}");
      JsonNode pong = client.next(FRAME_TIMEOUT);
      assertThat(pong.get("type").asText()).isEqualTo("pong");
      assertThat(client.isClosedByServer()).isFalse();
    }
  }

  @Test
  @Order(3)
  void theInteractionLandsMaskedInACommittedParquetFile() throws Exception {
    assertThat(sessionId).as("set by the session test").isNotNull();
    Path sft = dataDir.resolve("datasets").resolve("sft");
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:")) {
      // Files are committed on checkpoints (every second here): poll until the row is there.
      List<String> row =
          await()
              .atMost(Duration.ofSeconds(90))
              .pollInterval(Duration.ofMillis(500))
              .until(() -> sessionRow(duck, committedFiles(sft)), r -> !r.isEmpty());

      assertThat(row.get(0)).contains("<EMAIL_ADDRESS>").doesNotContain("alice@example.com");
      assertThat(row.get(0)).contains("contact");
      assertThat(row.get(1)).startsWith("STRUCT(").endsWith(")[]");
      assertThat(row.get(2)).as("rows for the session's one command").isEqualTo("1");
    }
  }

  @Test
  @Order(4)
  void closingTheSessionTerminatesItsSandbox() {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                node.health().snapshot().get("sandbox_pool").detail().get("leased")
                        instanceof Map<?, ?> leased
                    && leased.values().stream().mapToInt(v -> (Integer) v).sum() == 0);
  }

  /** [messages as text, typeof(messages), row count] of the session, or empty if not there. */
  private static List<String> sessionRow(Connection duck, List<Path> committed)
      throws SQLException {
    if (committed.isEmpty()) {
      return List.of();
    }
    String files =
        committed.stream().map(p -> "'" + p + "'").collect(Collectors.joining(",", "[", "]"));
    try (Statement st = duck.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT CAST(messages AS VARCHAR), typeof(messages), count(*) OVER () FROM"
                    + " read_parquet("
                    + files
                    + ") WHERE session_id = '"
                    + sessionId
                    + "'")) {
      if (!rs.next()) {
        return List.of();
      }
      return List.of(rs.getString(1), rs.getString(2), Long.toString(rs.getLong(3)));
    }
  }

  @Test
  @Order(5)
  void metricsCountSessionsFramesErrorsAndTools() throws Exception {
    HttpResponse<String> response =
        dev.agentfactory.edge.TestHttp.client()
            .send(
                HttpRequest.newBuilder(URI.create(node.httpUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
    String body = response.body();
    assertThat(metric(body, "af_sessions_opened_total")).isGreaterThanOrEqualTo(1);
    assertThat(metric(body, "af_errors_total{code=\"malformed_json\"}")).isGreaterThanOrEqualTo(1);
    assertThat(metric(body, "af_tool_calls_total{status=\"exited\",tool=\"sandbox.exec\"}"))
        .isGreaterThanOrEqualTo(1);
    assertThat(metric(body, "af_lease_latency_seconds_count")).isGreaterThanOrEqualTo(1);
    assertThat(metric(body, "af_events_published_total{result=\"ok\"}")).isGreaterThanOrEqualTo(1);
    assertThat(body).contains("af_sandboxes_ready{template=\"shell\"}");
  }

  @Test
  @Order(6)
  void thousandsOfBadFramesLeaveTheNodeServing() throws Exception {
    FrameFuzzer fuzzer = new FrameFuzzer(42);
    int perClient = 600;
    for (int c = 0; c < 4; c++) {
      try (FrameClient client = new FrameClient(sessionsUri())) {
        assertThat(client.next(FRAME_TIMEOUT).get("type").asText()).isEqualTo("session.ready");
        for (int i = 0; i < perClient; i++) {
          FrameFuzzer.Input input = fuzzer.next();
          if (input.binary() != null) {
            client.sendBinary(input.binary());
          } else {
            client.send(input.text());
          }
        }
        // Every bad frame is answered with exactly one error frame, in order, and nothing else.
        for (int i = 0; i < perClient; i++) {
          JsonNode frame = client.next(FRAME_TIMEOUT);
          assertThat(frame.get("type").asText()).as("answer %d", i).isEqualTo("error");
          assertThat(frame.get("fatal").asBoolean()).isFalse();
        }
        assertThat(client.isClosedByServer()).isFalse();
        client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"after\",\"command\":\"echo still here\"}");
        List<JsonNode> frames =
            client.until(f -> f.get("type").asText().equals("exec.exit"), FRAME_TIMEOUT);
        assertThat(output(frames, "stdout")).isEqualTo("still here\n");
      }
    }
    HttpResponse<String> health =
        dev.agentfactory.edge.TestHttp.client()
            .send(
                HttpRequest.newBuilder(URI.create(node.httpUrl() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
  }

  @Test
  @Order(6)
  void plainHttpOnAWebSocketRouteIsATypedErrorAndTheSessionCarriesOn() throws Exception {
    try (FrameClient client = new FrameClient(sessionsUri())) {
      String id = client.next(FRAME_TIMEOUT).get("session_id").asText();
      for (String path :
          List.of("/v1/sessions", "/v1/sessions/" + id + "?last_seq=0", "/v1/eval/live/stream")) {
        HttpResponse<String> plain =
            dev.agentfactory.edge.TestHttp.client()
                .send(
                    HttpRequest.newBuilder(URI.create(node.httpUrl() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(plain.statusCode()).as(path + ": " + plain.body()).isEqualTo(426);
        assertThat(MAPPER.readTree(plain.body()).at("/error/code").asText())
            .isEqualTo("upgrade_required");
      }
      // upgrades that cannot go on: typed errors, not the WebSocket layer's bare 400
      String head = "GET /v1/sessions HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n";
      String key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
      assertThat(raw(head + "Sec-WebSocket-Version: 13\r\n" + key + "\r\n"))
          .as("no Connection: Upgrade")
          .startsWith("HTTP/1.1 426")
          .contains("\"code\":\"upgrade_required\"", "no Connection: Upgrade");
      assertThat(
              raw(
                  head
                      + "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 8\r\n"
                      + key
                      + "\r\n"))
          .startsWith("HTTP/1.1 426")
          .containsIgnoringCase("sec-websocket-version: 13")
          .contains("WebSocket version '8' is not supported");
      assertThat(raw(head + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"))
          .matches("(?s)HTTP/1\\.[01] 400 .*")
          .contains("\"code\":\"invalid_request\"", "Sec-WebSocket-Key");
      client.send("{\"v\":1,\"type\":\"ping\",\"id\":\"p\"}");
      assertThat(client.next(FRAME_TIMEOUT).get("type").asText()).isEqualTo("pong");
      assertThat(client.isClosedByServer()).isFalse();
    }
  }

  /**
   * Writes {@code request} as it is on a new connection and returns the response's head and body
   * (read up to its Content-Length, or until the server closes the connection).
   */
  private String raw(String request) throws Exception {
    URI url = URI.create(node.httpUrl());
    try (java.net.Socket socket = new java.net.Socket(url.getHost(), url.getPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      java.io.InputStream in = socket.getInputStream();
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          return head.toString();
        }
        head.append((char) b);
      }
      java.util.regex.Matcher length =
          java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
      byte[] body =
          length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : in.readAllBytes();
      return head + new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @Test
  @Order(7)
  void aDroppedClientResumesWithoutLosingOrRepeatingFrames() throws Exception {
    String id;
    long lastSeen;
    List<JsonNode> before = new java.util.ArrayList<>();
    FrameClient first = new FrameClient(sessionsUri());
    JsonNode ready = first.next(FRAME_TIMEOUT);
    id = ready.get("session_id").asText();
    first.send(
        "{\"v\":1,\"type\":\"exec\",\"id\":\"slow\",\"command\":"
            + "\"for i in 1 2 3 4 5 6; do echo line$i; sleep 0.3; done\"}");
    List<JsonNode> leasedThenOutput =
        first.until(f -> f.get("type").asText().equals("exec.output"), FRAME_TIMEOUT);
    JsonNode output = leasedThenOutput.get(leasedThenOutput.size() - 1);
    before.add(output);
    lastSeen = output.get("seq").asLong();
    first.abort();

    // A resume for a session that does not exist, or from a seq never sent, is refused.
    HttpResponse<String> unknown =
        dev.agentfactory.edge.TestHttp.client()
            .send(
                HttpRequest.newBuilder(URI.create(node.httpUrl() + "/v1/sessions/nope?last_seq=0"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(MAPPER.readTree(unknown.body()).at("/error/code").asText())
        .isEqualTo("unknown_session");

    try (FrameClient resumed = new FrameClient(resumeUri(id, lastSeen))) {
      List<JsonNode> after =
          resumed.until(f -> f.get("type").asText().equals("exec.exit"), FRAME_TIMEOUT);
      List<JsonNode> all = new java.util.ArrayList<>(before);
      all.addAll(after);
      assertThat(after.get(0).get("seq").asLong()).isEqualTo(lastSeen + 1);
      assertSeqHasNoGaps(resumed, all);
      assertThat(output(all, "stdout")).isEqualTo("line1\nline2\nline3\nline4\nline5\nline6\n");
      assertThat(all.get(all.size() - 1).get("exit_code").asInt()).isZero();

      try (FrameClient fromTheFuture = new FrameClient(resumeUri(id, 1_000_000))) {
        JsonNode gap = fromTheFuture.next(FRAME_TIMEOUT);
        assertThat(gap.get("code").asText()).isEqualTo("resume_gap");
        assertThat(gap.get("fatal").asBoolean()).isTrue();
      }
      // The refused resume did not disturb the attached client.
      resumed.send("{\"v\":1,\"type\":\"ping\",\"id\":\"still\"}");
      assertThat(resumed.next(FRAME_TIMEOUT).get("type").asText()).isEqualTo("pong");
    }
    // A client that closes normally ends the session: it cannot be resumed. The end runs on the
    // node's event loop, which a loaded machine (this node runs Kafka, Hazelcast and Flink too) may
    // reach late: as long a wait as the others here.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                dev.agentfactory.edge.TestHttp.client()
                        .send(
                            HttpRequest.newBuilder(
                                    URI.create(
                                        node.httpUrl() + "/v1/sessions/" + id + "?last_seq=0"))
                                .build(),
                            HttpResponse.BodyHandlers.ofString())
                        .statusCode()
                    == 404);
  }

  @Test
  @Order(7)
  void aMessageOverOneMebibyteIsClosedWith1009AndTheSessionCanBeResumed() throws Exception {
    int port = URI.create(node.httpUrl()).getPort();
    String ping = "{\"v\":1,\"type\":\"ping\",\"id\":\"%s\"}";
    String big = ping.formatted("a".repeat(1_140_000));
    // as continuation frames each under the limit, and as one frame that declares more than it
    for (boolean fragmented : new boolean[] {true, false}) {
      String id;
      long lastSeq;
      try (RawWebSocket socket = new RawWebSocket(port, "/v1/sessions")) {
        JsonNode ready = socket.nextText();
        id = ready.get("session_id").asText();
        lastSeq = ready.get("seq").asLong();
        sendOverOneMebibyte(socket, big, fragmented);
        if (fragmented) {
          // not answered: the connection is closing
          socket.sendText(ping.formatted("after"));
        }
        assertThatThrownBy(socket::nextText)
            .as("fragmented: %s", fragmented)
            .isInstanceOf(IOException.class);
        assertThat(socket.closeCode()).as("fragmented: %s", fragmented).isEqualTo(1009);
      }
      // a closed connection, not an ended session (docs/protocol.md#errors)
      try (FrameClient resumed = new FrameClient(resumeUri(id, lastSeq))) {
        resumed.send(ping.formatted("resumed"));
        JsonNode pong = resumed.next(FRAME_TIMEOUT);
        assertThat(pong.get("type").asText()).isEqualTo("pong");
        assertThat(pong.get("id").asText()).isEqualTo("resumed");
      }
    }
  }

  /** The dashboard stream reads nothing, but a message over the limit closes it as a session's. */
  @Test
  @Order(7)
  void aMessageOverOneMebibyteClosesTheLiveEvalStreamWith1009() throws Exception {
    int port = URI.create(node.httpUrl()).getPort();
    String big = "{\"x\":\"%s\"}".formatted("a".repeat(1_140_000));
    for (boolean fragmented : new boolean[] {true, false}) {
      try (RawWebSocket socket = new RawWebSocket(port, "/v1/eval/live/stream")) {
        sendOverOneMebibyte(socket, big, fragmented);
        socket.awaitCloseFrame();
        assertThat(socket.closeCode()).as("fragmented: %s", fragmented).isEqualTo(1009);
      }
    }
  }

  /**
   * {@code text}, over the WebSocket routes' 1 MiB limit: as continuation frames each under it, or
   * as the start of one frame that declares more than it.
   */
  private static void sendOverOneMebibyte(RawWebSocket socket, String text, boolean fragmented)
      throws IOException {
    if (fragmented) {
      socket.sendFragmented(text, 60_000);
    } else {
      socket.sendTextFrameStart(text.length(), text.substring(0, 1000));
    }
  }

  @Test
  @Order(8)
  void theScriptedMathAgentAnswersByRunningPythonInItsSandbox() throws Exception {
    HttpResponse<String> unknown =
        dev.agentfactory.edge.TestHttp.client()
            .send(
                HttpRequest.newBuilder(URI.create(node.httpUrl() + "/v1/sessions?agent=nobody"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(MAPPER.readTree(unknown.body()).at("/error/code").asText())
        .isEqualTo("unknown_agent");

    String agentSession;
    try (FrameClient client = new FrameClient(URI.create(sessionsUri() + "?agent=math"))) {
      JsonNode ready = client.next(FRAME_TIMEOUT);
      assertThat(ready.get("type").asText()).isEqualTo("session.ready");
      assertThat(ready.get("agent").asText()).isEqualTo("math");
      assertThat(ready.get("agent_version").asText()).isEqualTo("v1");
      agentSession = ready.get("session_id").asText();

      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"what is 12*(3+4)?\"}");
      List<JsonNode> frames =
          client.until(f -> f.get("type").asText().equals("turn.completed"), FRAME_TIMEOUT);

      JsonNode call = first(frames, "tool.call");
      assertThat(call.get("name").asText()).isEqualTo("sandbox_exec");
      assertThat(call.get("arguments").asText()).contains("python3");
      String toolOutput =
          frames.stream()
              .filter(f -> f.get("type").asText().equals("tool.output"))
              .map(f -> f.get("data").asText())
              .collect(Collectors.joining());
      assertThat(toolOutput).isEqualTo("84\n");
      JsonNode result = first(frames, "tool.result");
      assertThat(result.get("status").asText()).isEqualTo("exited");
      assertThat(result.get("exit_code").asInt()).isZero();
      String answer =
          frames.stream()
              .filter(f -> f.get("type").asText().equals("assistant.delta"))
              .map(f -> f.get("text").asText())
              .collect(Collectors.joining());
      assertThat(answer).contains("84");
      JsonNode done = frames.get(frames.size() - 1);
      assertThat(done.get("id").asText()).isEqualTo("q1");
      assertThat(done.get("scripted").asBoolean()).isTrue();
      assertThat(done.get("model").asText()).isEqualTo("scripted/math-v1");
      assertThat(done.get("model_calls").asInt()).isEqualTo(2);
      assertSeqHasNoGaps(client, frames);
    }

    try (FrameClient plain = new FrameClient(sessionsUri())) {
      plain.next(FRAME_TIMEOUT);
      plain.send("{\"v\":1,\"type\":\"message\",\"id\":\"m\",\"content\":\"hi\"}");
      assertThat(plain.next(FRAME_TIMEOUT).get("code").asText()).isEqualTo("no_agent");
    }

    // The turn is an interaction event like any other: it lands in the sft dataset.
    Path sft = dataDir.resolve("datasets").resolve("sft");
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:")) {
      String previous = sessionId;
      sessionId = agentSession;
      try {
        List<String> row =
            await()
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> sessionRow(duck, committedFiles(sft)), r -> !r.isEmpty());
        assertThat(row.get(0)).contains("what is 12*(3+4)?").contains("84");
        // In TRL's tool-calling order: the call, its result naming it, then the answer
        String files =
            committedFiles(sft).stream()
                .map(p -> "'" + p + "'")
                .collect(Collectors.joining(",", "[", "]"));
        try (Statement st = duck.createStatement();
            ResultSet rs =
                st.executeQuery(
                    "SELECT list_transform(messages, lambda m: m.role)::VARCHAR,"
                        + " messages[2].tool_calls[1].function.name,"
                        + " messages[2].tool_calls[1].function.arguments,"
                        + " messages[3].tool_call_id = messages[2].tool_calls[1].id,"
                        + " messages[3].content, messages[4].content FROM read_parquet("
                        + files
                        + ") WHERE session_id = '"
                        + agentSession
                        + "'")) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getString(1)).isEqualTo("[user, assistant, tool, assistant]");
          assertThat(rs.getString(2)).isEqualTo("sandbox_exec");
          assertThat(rs.getString(3)).contains("python3");
          assertThat(rs.getBoolean(4)).as("the tool result names its call").isTrue();
          assertThat(rs.getString(5)).isEqualTo("84\n");
          assertThat(rs.getString(6)).contains("84");
        }
      } finally {
        sessionId = previous;
      }
    }
  }

  @Test
  @Order(8)
  void anAgentRunsInATemplateOfTheNodesTemplateDirectory() throws Exception {
    String math = new String(getClass().getResourceAsStream("/agents/math.json").readAllBytes());
    String web =
        math.replace("\"name\": \"math\"", "\"name\": \"webmath\"")
            .replace("\"template\": \"python\"", "\"template\": \"python-web\"");
    assertThat(web).contains("webmath", "python-web");
    HttpResponse<String> created = post("/v1/agents", web);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    HttpResponse<String> unknown = post("/v1/agents", web.replace("python-web", "nope"));
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(MAPPER.readTree(unknown.body()).at("/error/message").asText())
        .contains("python-web", "shell");

    try (FrameClient client = new FrameClient(URI.create(sessionsUri() + "?agent=webmath"))) {
      assertThat(client.next(FRAME_TIMEOUT).get("agent").asText()).isEqualTo("webmath");
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q\",\"content\":\"what is 6*7?\"}");
      List<JsonNode> frames =
          client.until(f -> f.get("type").asText().equals("turn.completed"), FRAME_TIMEOUT);
      assertThat(
              frames.stream()
                  .filter(f -> f.get("type").asText().equals("tool.output"))
                  .map(f -> f.get("data").asText())
                  .collect(Collectors.joining()))
          .isEqualTo("42\n");
    }
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return dev.agentfactory.edge.TestHttp.client()
        .send(
            HttpRequest.newBuilder(URI.create(node.httpUrl() + path))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(9)
  void thePipelineJobIsListedStoppedWithASavepointAndResubmittedOverRest() throws Exception {
    JsonNode jobs = MAPPER.readTree(http("GET", "/v1/jobs", null).body()).get("jobs");
    JsonNode running =
        java.util.stream.StreamSupport.stream(jobs.spliterator(), false)
            .filter(j -> j.get("state").asText().equals("RUNNING"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no running job in " + jobs));

    // Right after a start Flink may refuse the savepoint (409 job_not_ready): retry, as a client
    // would.
    HttpResponse<String> stopped =
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofSeconds(1))
            .until(
                () -> http("DELETE", "/v1/jobs/" + running.get("id").asText(), null),
                r -> r.statusCode() != 409);
    assertThat(stopped.statusCode()).as(stopped.body()).isEqualTo(200);
    assertThat(MAPPER.readTree(stopped.body()).get("savepoint").asText()).contains("savepoint");
    HttpResponse<String> unknownJob =
        http("DELETE", "/v1/jobs/00000000000000000000000000000000", null);
    assertThat(unknownJob.statusCode()).as(unknownJob.body()).isEqualTo(404);

    // The stop answers once Flink reports the job ended: clients racing to start the next one
    // right away (or one retrying after a timeout during the jar upload) start exactly one.
    String submitted = submitRacing();
    assertThat(notEnded(MAPPER.readTree(http("GET", "/v1/jobs", null).body()).get("jobs")))
        .as("pipeline jobs not ended")
        .containsExactly(submitted);
    assertThat(http("POST", "/v1/jobs", "{\"job\":\"interaction-pipeline\"}").statusCode())
        .as("a second pipeline while one runs")
        .isEqualTo(409);
    assertThat(uploadedJars()).as("job jars kept after a submission").isEmpty();
    // Once the new job completed a checkpoint, the directories of earlier runs are deleted, not
    // only after the node's own start.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () ->
                assertThat(checkpointDirs()).as("job checkpoint dirs").containsExactly(submitted));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> http("GET", "/health", null).statusCode() == 200);
  }

  @Test
  @Order(9)
  void aPipelineJobStoppedByAnOperatorLeavesTheNodeReadyAndCannotBeStoppedTwice() throws Exception {
    String running =
        notEnded(MAPPER.readTree(http("GET", "/v1/jobs", null).body()).get("jobs")).get(0);
    HttpResponse<String> stopped =
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofSeconds(1))
            .until(() -> http("DELETE", "/v1/jobs/" + running, null), r -> r.statusCode() != 409);
    assertThat(stopped.statusCode()).as(stopped.body()).isEqualTo(200);

    // Flink lists it as FINISHED: stopping it again is a refusal, not an unknown job
    HttpResponse<String> again = http("DELETE", "/v1/jobs/" + running, null);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(409);
    assertThat(MAPPER.readTree(again.body()).at("/error/code").asText()).isEqualTo("flink_refused");
    assertThat(MAPPER.readTree(again.body()).at("/error/message").asText()).contains("FINISHED");

    // /health says the pipeline was stopped; sessions still run, so /ready stays 200
    JsonNode health =
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> MAPPER.readTree(http("GET", "/health", null).body()),
                h -> h.at("/components/flink_job/detail/state").asText().equals("FINISHED"));
    HttpResponse<String> ready = http("GET", "/ready", null);
    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    assertThat(health.at("/components/flink_job/status").asText()).isEqualTo("DEGRADED");
    assertThat(health.at("/components/flink_job/detail/reason").asText()).contains("DELETE");

    HttpResponse<String> started = http("POST", "/v1/jobs", "{\"job\":\"interaction-pipeline\"}");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(201);
    String submitted = MAPPER.readTree(started.body()).get("id").asText();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () ->
                assertThat(checkpointDirs()).as("job checkpoint dirs").containsExactly(submitted));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> http("GET", "/health", null).statusCode() == 200);
  }

  /** Four concurrent submissions of the pipeline; returns the id of the one that was accepted. */
  private static String submitRacing() throws Exception {
    List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> racing =
        new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      racing.add(
          dev.agentfactory.edge.TestHttp.client()
              .sendAsync(
                  HttpRequest.newBuilder(URI.create(node.httpUrl() + "/v1/jobs"))
                      .header("content-type", "application/json")
                      .POST(
                          HttpRequest.BodyPublishers.ofString("{\"job\":\"interaction-pipeline\"}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
    }
    List<HttpResponse<String>> answers =
        racing.stream().map(java.util.concurrent.CompletableFuture::join).toList();
    assertThat(answers.stream().map(HttpResponse::statusCode))
        .as("answers to racing submissions: %s", answers.stream().map(HttpResponse::body).toList())
        .containsExactlyInAnyOrder(201, 409, 409, 409);
    String submitted = null;
    for (HttpResponse<String> answer : answers) {
      JsonNode body = MAPPER.readTree(answer.body());
      if (answer.statusCode() == 201) {
        submitted = body.get("id").asText();
      } else {
        assertThat(body.at("/error/code").asText()).isEqualTo("conflict");
      }
    }
    return submitted;
  }

  /** The job directories in the embedded Flink's checkpoint directory. */
  private static List<String> checkpointDirs() throws IOException {
    try (Stream<Path> dirs = Files.list(dataDir.resolve("flink/checkpoints"))) {
      return dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).toList();
    }
  }

  /** The ids of the jobs Flink lists in a state that is not final, whatever their name. */
  private static List<String> notEnded(JsonNode jobs) {
    return java.util.stream.StreamSupport.stream(jobs.spliterator(), false)
        .filter(j -> !List.of("FINISHED", "CANCELED", "FAILED").contains(j.get("state").asText()))
        .map(j -> j.get("id").asText())
        .toList();
  }

  /** The job jars in the embedded Flink's upload directory. */
  private static List<Path> uploadedJars() throws IOException {
    try (Stream<Path> files = Files.walk(dataDir.resolve("flink/jars"))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".jar")).toList();
    }
  }

  private static HttpResponse<String> http(String method, String path, String body)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(node.httpUrl() + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("content-type", "application/json");
    }
    return dev.agentfactory.edge.TestHttp.client()
        .send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(10)
  void anIdleSessionPausesThenHibernatesItsSandboxAndWakesWithItsWorkspace() throws Exception {
    assertThat(http("GET", "/ready", null).statusCode()).isEqualTo(200);
    try (FrameClient client = new FrameClient(sessionsUri())) {
      client.next(FRAME_TIMEOUT);
      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"w\",\"command\":\"echo kept > f\"}");
      client.until(f -> f.get("type").asText().equals("exec.exit"), FRAME_TIMEOUT);

      JsonNode paused = client.next(Duration.ofSeconds(30));
      assertThat(paused.get("type").asText()).isEqualTo("sandbox.state");
      assertThat(paused.get("state").asText()).isEqualTo("paused");
      JsonNode hibernated = client.next(Duration.ofSeconds(30));
      assertThat(hibernated.get("state").asText()).isEqualTo("hibernated");

      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"r\",\"command\":\"cat f\"}");
      List<JsonNode> frames =
          client.until(f -> f.get("type").asText().equals("exec.exit"), FRAME_TIMEOUT);
      assertThat(frames.get(0).get("type").asText()).isEqualTo("sandbox.state");
      assertThat(frames.get(0).get("state").asText()).isEqualTo("running");
      assertThat(output(frames, "stdout")).isEqualTo("kept\n");
    }
    assertThat(http("GET", "/metrics", null).body())
        .contains("af_sandbox_transitions_total{to=\"hibernated\"}");
  }

  @Test
  @Order(11)
  void aVersionOfTheSftDatasetListsItsCommittedFilesWhichCanBeDownloaded() throws Exception {
    HttpResponse<String> cut = http("POST", "/v1/datasets/sft/versions", null);
    assertThat(cut.statusCode()).as(cut.body()).isEqualTo(202);
    String location = cut.headers().firstValue("location").orElseThrow();
    JsonNode done =
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .until(
                () -> MAPPER.readTree(http("GET", location, null).body()),
                c -> !c.get("state").asText().equals("running"));
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
    JsonNode manifest = MAPPER.readTree(http("GET", done.get("version_url").asText(), null).body());
    assertThat(manifest.get("version").asInt()).isEqualTo(1);
    assertThat(manifest.at("/lineage/job_id").asText()).isNotEmpty();
    assertThat(manifest.at("/lineage/checkpoint_id").asLong()).isPositive();
    assertThat(manifest.at("/lineage/judge_version").isNull()).as("judge off").isTrue();
    // the savepoint the running job resumed from: the one of the stop in test 9, never the gone one
    // the node started with
    assertThat(manifest.at("/lineage/savepoint_path").asText())
        .contains("/flink/savepoints/savepoint-")
        .doesNotContain("nonexistent");
    JsonNode files = manifest.get("files");
    assertThat(files).isNotEmpty();
    assertThat(manifest.toString()).contains("pii-v1");

    HttpResponse<String> again = http("GET", "/v1/datasets/sft/versions/1", null);
    assertThat(MAPPER.readTree(again.body())).isEqualTo(manifest);

    String path = files.get(0).get("path").asText();
    HttpResponse<byte[]> file =
        dev.agentfactory.edge.TestHttp.client()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            node.httpUrl()
                                + "/v1/datasets/sft/versions/1/file?path="
                                + java.net.URLEncoder.encode(
                                    path, java.nio.charset.StandardCharsets.UTF_8)))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertThat(file.statusCode()).isEqualTo(200);
    assertThat(new String(file.body(), 0, 4, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("PAR1");
    assertThat(file.body().length).isEqualTo(files.get(0).get("size_bytes").asInt());

    assertThat(
            http("GET", "/v1/datasets/sft/versions/1/file?path=..%2F..%2Fetc%2Fpasswd", null)
                .statusCode())
        .isEqualTo(400);
    assertThat(http("GET", "/v1/datasets/nothing/versions/1", null).statusCode()).isEqualTo(404);
  }

  @Test
  @Order(12)
  void shuttingDownTellsEveryOpenSessionAndReleasesItsSandbox() throws Exception {
    try (FrameClient busy = new FrameClient(sessionsUri());
        FrameClient idle = new FrameClient(sessionsUri())) {
      busy.next(FRAME_TIMEOUT);
      idle.next(FRAME_TIMEOUT);
      busy.send("{\"v\":1,\"type\":\"exec\",\"id\":\"b\",\"command\":\"echo up\"}");
      busy.until(f -> f.get("type").asText().equals("exec.exit"), FRAME_TIMEOUT);
      // Earlier tests' sessions may still be giving theirs back.
      await().atMost(FRAME_TIMEOUT).untilAsserted(() -> assertThat(sandboxesLeased()).isEqualTo(1));

      node.close();

      for (FrameClient client : List.of(busy, idle)) {
        JsonNode bye =
            client.until(f -> f.get("type").asText().equals("error"), FRAME_TIMEOUT).stream()
                .reduce((a, b) -> b)
                .orElseThrow();
        assertThat(bye.get("code").asText()).isEqualTo("shutting_down");
        assertThat(bye.get("fatal").asBoolean()).isTrue();
        await().atMost(FRAME_TIMEOUT).until(client::isClosedByServer);
        assertThat(client.closeCode()).isEqualTo(1001);
      }
    }
    assertThat(processesUnder(dataDir)).as("sandboxes left running after shutdown").isEmpty();
  }

  /** Sandboxes this node's sessions hold now (the live gauge, not the 1 s health probe). */
  private static double sandboxesLeased() throws Exception {
    return metric(http("GET", "/metrics", null).body(), "af_sandboxes_leased{template=\"shell\"}");
  }

  private static JsonNode first(List<JsonNode> frames, String type) {
    return frames.stream()
        .filter(f -> f.get("type").asText().equals(type))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " frame in " + frames));
  }

  private static URI resumeUri(String id, long lastSeq) {
    return URI.create(
        node.httpUrl().replace("http://", "ws://") + "/v1/sessions/" + id + "?last_seq=" + lastSeq);
  }

  private static double metric(String body, String series) {
    return body.lines()
        .filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no series " + series + " in:\n" + body));
  }

  private static URI sessionsUri() {
    return URI.create(node.httpUrl().replace("http://", "ws://") + "/v1/sessions");
  }

  private static String output(List<JsonNode> frames, String stream) {
    return frames.stream()
        .filter(f -> f.get("type").asText().equals("exec.output"))
        .filter(f -> f.get("stream").asText().equals(stream))
        .map(f -> f.get("data").asText())
        .collect(Collectors.joining());
  }

  private static void assertSeqHasNoGaps(FrameClient client, List<JsonNode> frames) {
    long previous = -1;
    for (JsonNode frame : frames) {
      long seq = frame.get("seq").asLong();
      if (previous >= 0) {
        assertThat(seq).isEqualTo(previous + 1);
      }
      previous = seq;
    }
  }

  /** Finished part files only: in-progress and pending files are hidden (dot-prefixed). */
  private static List<Path> committedFiles(Path dir) throws IOException {
    return CommittedFiles.list(dir);
  }

  /** PIDs of processes whose command line mentions {@code dir} (sandboxes run from under it). */
  static List<String> processesUnder(Path dir) throws IOException {
    String needle = dir.toString();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs
          .filter(p -> p.getFileName().toString().matches("\\d+"))
          .filter(
              p -> {
                try {
                  return new String(Files.readAllBytes(p.resolve("cmdline"))).contains(needle);
                } catch (IOException e) {
                  return false; // exited while we looked
                }
              })
          .map(p -> p.getFileName().toString())
          .toList();
    }
  }
}
