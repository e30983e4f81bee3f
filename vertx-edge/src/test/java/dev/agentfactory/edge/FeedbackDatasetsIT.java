package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JudgeConfig;
import dev.agentfactory.connectors.kafka.Topics;
import dev.agentfactory.edge.config.ConfigSource;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.testing.TestPorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feedback from a client becomes training and evaluation data, end to end through real components:
 * a node on its embedded defaults (edge, Hazelcast member, process sandboxes, KRaft Kafka broker,
 * Flink MiniCluster running the pipeline job with the LLM judge switched on by node options), a
 * WebSocket client and the REST API, and DuckDB reading the committed Parquet of every dataset
 * kind.
 *
 * <p>The one stand-in: the judge's OpenAI-compatible endpoint is a local HTTP server in this test
 * (a hosted LLM is not available to tests), answering every chat completion with a rating of 5.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FeedbackDatasetsIT {

  private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration DATA_TIMEOUT = Duration.ofSeconds(120);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String JUDGE_MODEL = "judge-small";

  @TempDir static Path dataDir;
  private static HttpServer judge;
  private static final AtomicInteger judgeCalls = new AtomicInteger();
  private static AgentFactoryNode node;
  private static String sessionId;

  @BeforeAll
  static void startNode() throws IOException {
    judge = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    judge.createContext(
        "/v1/chat/completions",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          judgeCalls.incrementAndGet();
          byte[] body =
              ("{\"model\":\"judge-stand-in\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                      + "\"assistant\",\"content\":\"{\\\"score\\\": 5, \\\"reason\\\": \\\"did"
                      + " it\\\"}\"},\"finish_reason\":\"stop\"}]}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("content-type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    judge.start();

    String jar = System.getProperty("af.test.pipeline.jar");
    assertThat(jar).as("af.test.pipeline.jar (set by failsafe)").isNotNull();
    Map<String, String> flags =
        Map.ofEntries(
            Map.entry("data.dir", dataDir.toString()),
            Map.entry("http.port", "0"),
            Map.entry("kafka.embedded.port", "0"),
            Map.entry("flink.embedded.port", "0"),
            Map.entry("cluster.port", Integer.toString(TestPorts.free())),
            Map.entry("flink.pipeline.jar", jar),
            Map.entry("flink.checkpoint.interval.ms", "1000"),
            Map.entry("sandbox.isolation", "process"),
            Map.entry("sandbox.pool.size", "1"),
            Map.entry("judge.endpoint", "http://127.0.0.1:" + judge.getAddress().getPort() + "/v1"),
            Map.entry("judge.model", JUDGE_MODEL),
            Map.entry("judge.sample.rate", "1"));
    node = AgentFactoryNode.start(NodeConfig.from(new ConfigSource(flags, Map.of(), Map.of())));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (judge != null) {
      judge.stop(0);
    }
  }

  @Test
  @Order(1)
  void feedbackOnFinishedTurnsIsRecordedAndBadFeedbackNamesTheField() throws Exception {
    try (FrameClient client = new FrameClient(URI.create(ws("/v1/sessions")))) {
      JsonNode ready = client.next(FRAME_TIMEOUT);
      sessionId = ready.get("session_id").asText();

      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"c1\",\"command\":\"echo 6x7 is 42\"}");
      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"c2\",\"command\":\"echo hello there\"}");
      // Sent before c2 has finished: feedback waits behind the work queued before it.
      client.send(
          "{\"v\":1,\"type\":\"feedback\",\"id\":\"f1\",\"turn_id\":\"c1\",\"rating\":\"up\"}");
      client.send(
          "{\"v\":1,\"type\":\"feedback\",\"id\":\"f2\",\"turn_id\":\"c2\",\"rating\":\"down\","
              + "\"rejected\":\"hello there, friend\",\"comment\":\"mail me at bob@example.com\"}");
      client.send(
          "{\"v\":1,\"type\":\"feedback\",\"id\":\"f3\",\"turn_id\":\"c1\","
              + "\"reference\":{\"answer\":\"42\",\"verifier\":\"exact_match\"}}");
      client.send(
          "{\"v\":1,\"type\":\"feedback\",\"id\":\"f4\",\"turn_id\":\"nope\",\"rating\":\"up\"}");
      client.send(
          "{\"v\":1,\"type\":\"feedback\",\"id\":\"f5\",\"turn_id\":\"c1\",\"rating\":\"meh\"}");
      // A retry of f1: the same feedback gives the same event, which the pipeline keeps once.
      client.send(
          "{\"v\":1,\"type\":\"feedback\",\"id\":\"f6\",\"turn_id\":\"c1\",\"rating\":\"up\"}");

      List<JsonNode> answers = new ArrayList<>();
      List<JsonNode> frames = new ArrayList<>();
      while (answers.size() < 6) {
        JsonNode frame = client.next(FRAME_TIMEOUT);
        assertThat(frame).as("a frame within %s", FRAME_TIMEOUT).isNotNull();
        frames.add(frame);
        String type = frame.get("type").asText();
        if (type.equals("feedback.recorded") || type.equals("error")) {
          answers.add(frame);
        }
      }
      assertThat(frames.stream().filter(f -> f.get("type").asText().equals("exec.exit")))
          .hasSize(2);
      JsonNode invalid = byId(answers, "f5");
      assertThat(invalid.get("code").asText()).isEqualTo("invalid_field");
      assertThat(invalid.get("field").asText()).isEqualTo("rating");
      JsonNode unknown = byId(answers, "f4");
      assertThat(unknown.get("code").asText()).isEqualTo("unknown_turn");
      assertThat(unknown.get("field").asText()).isEqualTo("turn_id");
      JsonNode f1 = byId(answers, "f1");
      JsonNode f3 = byId(answers, "f3");
      assertThat(f1.get("type").asText()).as(f1.toString()).isEqualTo("feedback.recorded");
      assertThat(f1.get("turn_id").asText()).isEqualTo("c1");
      assertThat(f3.get("amends_event_id").asText())
          .as("both amend c1's event")
          .isEqualTo(f1.get("amends_event_id").asText());
      assertThat(f1.get("event_id").asText()).isNotEqualTo(f3.get("event_id").asText());
      assertThat(byId(answers, "f6").get("event_id").asText())
          .isEqualTo(f1.get("event_id").asText());
      assertThat(byId(answers, "f2").get("type").asText()).isEqualTo("feedback.recorded");

      // The same, over REST: an eval reference on c2.
      HttpResponse<String> rest =
          post(
              "/v1/sessions/" + sessionId + "/feedback",
              "{\"turn_id\":\"c2\",\"reference\":{\"answer\":\"hello there\",\"rubric\":"
                  + "\"greets\",\"eval\":true}}");
      assertThat(rest.statusCode()).as(rest.body()).isEqualTo(201);
      assertThat(MAPPER.readTree(rest.body()).get("amends_event_id").asText())
          .isEqualTo(byId(answers, "f2").get("amends_event_id").asText());
      HttpResponse<String> badTurn =
          post("/v1/sessions/" + sessionId + "/feedback", "{\"turn_id\":\"c9\",\"rating\":\"up\"}");
      assertThat(badTurn.statusCode()).isEqualTo(404);
      assertThat(MAPPER.readTree(badTurn.body()).at("/error/field").asText()).isEqualTo("turn_id");
      HttpResponse<String> badBody =
          post(
              "/v1/sessions/" + sessionId + "/feedback",
              "{\"turn_id\":\"c1\",\"rejected\":[{\"role\":\"user\",\"content\":\"x\"}]}");
      assertThat(badBody.statusCode()).isEqualTo(400);
      assertThat(MAPPER.readTree(badBody.body()).at("/error/field").asText())
          .isEqualTo("rejected[0].role");
      assertThat(post("/v1/sessions/no-such-session/feedback", "{\"turn_id\":\"c1\"}").statusCode())
          .isEqualTo(404);
    }
  }

  @Test
  @Order(2)
  void everyDatasetKindGetsItsRowsAndTheJudgeLabelsThem() throws Exception {
    assertThat(sessionId).as("set by the feedback test").isNotNull();
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:")) {
      // The REST reference was sent last. Once its row is committed and two more checkpoints
      // completed, every earlier event's row is committed too (the unordered async judge may hold
      // a turn across one checkpoint), so the counts below are final.
      List<List<String>> eval = awaitRows(duck, "eval", "SELECT expected, rubric FROM %s", 1);
      assertThat(eval.get(0)).containsExactly("hello there", "greets");
      awaitTwoMoreCheckpoints();
      assertThat(rows(duck, "eval", "SELECT expected FROM %s")).hasSize(1);
      // sft: the two turns, and not the amendments.
      List<List<String>> sft =
          awaitRows(
              duck,
              "sft",
              "SELECT CAST(messages AS VARCHAR), CAST(labels AS VARCHAR) FROM %s"
                  + " ORDER BY created_at",
              2);
      assertThat(sft).as("one row per turn, none per amendment").hasSize(2);
      assertThat(sft.get(0).get(0)).contains("6x7 is 42");
      for (List<String> row : sft) {
        assertThat(row.get(1))
            .as("judge labels from the node's judge options")
            .contains("judge_verdict", "pass", "judge-stand-in", JudgeConfig.RUBRIC_VERSION);
      }
      List<List<String>> unpaired =
          awaitRows(
              duck,
              "unpaired",
              "SELECT CAST(label AS VARCHAR), CAST(completion AS VARCHAR),"
                  + " CAST(labels AS VARCHAR) FROM %s"
                  + " ORDER BY label DESC",
              2);
      assertThat(unpaired).as("f1 and f2; f6 (f1 again) dropped as a duplicate").hasSize(2);
      assertThat(unpaired.get(0).get(0)).isEqualTo("true");
      assertThat(unpaired.get(0).get(1)).contains("6x7 is 42");
      assertThat(unpaired.get(1).get(0)).isEqualTo("false");
      assertThat(unpaired.get(1).get(1)).contains("hello there");
      assertThat(unpaired.get(1).get(2))
          .as("the comment, PII scrubbed, as a user label")
          .contains("user_comment", "mail me at")
          .doesNotContain("bob@example.com");
      List<List<String>> preference =
          awaitRows(
              duck,
              "preference",
              "SELECT CAST(chosen AS VARCHAR), CAST(rejected AS VARCHAR) FROM %s",
              1);
      assertThat(preference.get(0).get(0)).contains("hello there");
      assertThat(preference.get(0).get(1)).contains("hello there, friend");
      List<List<String>> rft =
          awaitRows(
              duck, "rft", "SELECT ground_truth, verifier, CAST(prompt AS VARCHAR) FROM %s", 1);
      assertThat(rft.get(0)).startsWith("42", "exact_match");
      assertThat(rft.get(0).get(2)).contains("6x7 is 42");
    }
    assertThat(judgeCalls.get()).as("calls to the judge stand-in").isPositive();
  }

  @Test
  @Order(3)
  void aCutRunsInTheBackgroundAndItsManifestHasLineage() throws Exception {
    HttpResponse<String> cut = post("/v1/datasets/unpaired/versions", null);
    assertThat(cut.statusCode()).as(cut.body()).isEqualTo(202);
    String location = cut.headers().firstValue("location").orElseThrow();
    JsonNode done =
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .until(
                () -> MAPPER.readTree(get(location).body()),
                c -> !c.get("state").asText().equals("running"));
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
    // unpaired has a row per rating: c1's thumbs-up and c2's thumbs-down; c2 is also an eval
    // example (the REST reference), whose withdrawal reaches every training kind, so the version
    // keeps c1's row only (test 2 waited until all of it was committed)
    assertThat(done.get("rows_done").asLong()).as(done.toString()).isEqualTo(1);
    assertThat(done.get("files_done").asInt()).isEqualTo(done.get("files_total").asInt());

    JsonNode manifest = MAPPER.readTree(get(done.get("version_url").asText()).body());
    JsonNode lineage = manifest.get("lineage");
    assertThat(lineage.get("job_id").asText()).matches("[0-9a-f]{32}");
    assertThat(lineage.get("checkpoint_id").asLong()).isPositive();
    assertThat(lineage.get("judge_version").asText())
        .isEqualTo(JUDGE_MODEL + "/" + JudgeConfig.RUBRIC_VERSION);
    assertThat(lineage.get("scrub_policies").toString()).contains("pii-v1");
    assertThat(manifest.get("total_rows").asLong()).isEqualTo(done.get("rows_done").asLong());
    assertThat(manifest.get("excluded_rows").asLong()).as(manifest.toString()).isEqualTo(1);
  }

  @Test
  @Order(4)
  void aLaterThumbsDownWithdrawsTheTurnsSftRowFromTheNextVersion() throws Exception {
    // c2 was exported to sft as a turn, then rated down (f2) and made an eval example (REST):
    // both amendments withdraw its sft row. Its committed file keeps the row (files are
    // immutable); the version leaves it out.
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:")) {
      assertThat(rows(duck, "sft", "SELECT example_id FROM %s")).hasSize(2);
    }
    JsonNode done = awaitCut("sft");
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
    JsonNode manifest = MAPPER.readTree(get(done.get("version_url").asText()).body());
    assertThat(manifest.get("withdrawn_examples").asLong()).as(manifest.toString()).isEqualTo(1);
    assertThat(manifest.get("excluded_rows").asLong()).isEqualTo(1);
    List<String> paths = new ArrayList<>();
    long excluded = 0;
    for (JsonNode file : manifest.get("files")) {
      paths.add(dataDir.resolve("datasets/sft").resolve(file.get("path").asText()).toString());
      excluded += file.get("excluded_rows").asLong();
      if (file.get("excluded_rows").asLong() > 0) {
        assertThat(file.get("path").asText()).startsWith("_filtered/");
        assertThat(file.get("source").asText()).doesNotStartWith("_");
      }
    }
    assertThat(excluded).isEqualTo(1);
    String list = paths.stream().map(p -> "'" + p + "'").collect(Collectors.joining(",", "[", "]"));
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = duck.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT CAST(messages AS VARCHAR), (SELECT count(*) FROM read_parquet("
                    + list
                    + ")) FROM read_parquet("
                    + list
                    + ") WHERE session_id = '"
                    + sessionId
                    + "'")) {
      List<String> kept = new ArrayList<>();
      long total = 0;
      while (rs.next()) {
        kept.add(rs.getString(1));
        total = rs.getLong(2);
      }
      assertThat(kept).as("only c1: c2 was withdrawn").hasSize(1);
      assertThat(kept.get(0)).contains("6x7 is 42").doesNotContain("hello there");
      assertThat(total).isEqualTo(manifest.get("total_rows").asLong());
    }
  }

  @Test
  @Order(5)
  void theNodesMetricsCountThePipelineJobsDropsKeptTurnsDeadLettersAndJudgeCalls()
      throws Exception {
    String jobId =
        MAPPER.readTree(get("/health").body()).at("/components/flink_job/detail/job_id").asText();
    assertThat(jobId).isNotEmpty();
    String job = "job_id=\"" + jobId + "\"";
    // No edge sends malformed JSON: a producer of its own does
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, node.kafkaBootstrapServers()),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      producer
          .send(new ProducerRecord<>(Topics.INTERACTIONS, "{\"not json".getBytes()))
          .get(30, TimeUnit.SECONDS);
    }
    // Flink refreshes its metric store every 10 s and the node asks it every 5 s: poll
    String body =
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> get("/metrics").body(),
                b ->
                    series(b, "af_pipeline_quality_dropped_total{" + job + ",reason=\"duplicate\"}")
                            >= 1
                        && series(b, "af_pipeline_judge_calls_total{" + job + "}") >= 1
                        && series(
                                b, "af_pipeline_dead_letters_total{" + job + ",kind=\"malformed\"}")
                            >= 1);
    assertThat(series(body, "af_pipeline_quality_kept_total{" + job + "}"))
        .as("c1, c2 and the feedback kept")
        .isGreaterThanOrEqualTo(3);
    assertThat(series(body, "af_pipeline_quality_dropped_total{" + job + ",reason=\"empty\"}"))
        .as("every reason is exported, 0 or not")
        .isZero();
    assertThat(series(body, "af_pipeline_unexpected_parse_failures_total{" + job + "}")).isZero();
    assertThat(series(body, "af_pipeline_dead_letters_total{" + job + ",kind=\"unexpected\"}"))
        .as("every kind is exported, 0 or not")
        .isZero();
    assertThat(body).contains("af_pipeline_judge_cache_hits_total{" + job + "}");
    assertThat(body).contains("af_pipeline_judge_degraded_total{" + job + "}");
  }

  /** The value of {@code series} in a Prometheus text exposition; -1 if it is not there. */
  private static double series(String body, String series) {
    return body.lines()
        .filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
        .findFirst()
        .orElse(-1);
  }

  private static JsonNode awaitCut(String dataset) throws Exception {
    HttpResponse<String> cut = post("/v1/datasets/" + dataset + "/versions", null);
    assertThat(cut.statusCode()).as(cut.body()).isEqualTo(202);
    String location = cut.headers().firstValue("location").orElseThrow();
    return await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> MAPPER.readTree(get(location).body()),
            c -> !c.get("state").asText().equals("running"));
  }

  private static void awaitTwoMoreCheckpoints() throws Exception {
    FlinkRestClient flink = new FlinkRestClient(node.flinkRestUrl());
    String job =
        flink.listJobs().toCompletableFuture().get(30, TimeUnit.SECONDS).stream()
            .filter(j -> j.state().equals("RUNNING"))
            .findFirst()
            .orElseThrow()
            .id();
    Callable<Long> latest =
        () ->
            flink
                .latestCompletedCheckpoint(job)
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS)
                .orElse(0L);
    long now = latest.call();
    await()
        .atMost(DATA_TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(latest, c -> c >= now + 2);
  }

  private static JsonNode byId(List<JsonNode> frames, String id) {
    return frames.stream()
        .filter(f -> id.equals(f.path("id").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no answer to " + id + " in " + frames));
  }

  /** The session's rows of a dataset, once its committed files hold {@code expected} of them. */
  private static List<List<String>> awaitRows(
      Connection duck, String dataset, String query, int expected) {
    return await()
        .atMost(DATA_TIMEOUT)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> rows(duck, dataset, query), r -> r.size() >= expected);
  }

  private static List<List<String>> rows(Connection duck, String dataset, String query)
      throws IOException, SQLException {
    List<Path> files = committedFiles(dataDir.resolve("datasets").resolve(dataset));
    if (files.isEmpty()) {
      return List.of();
    }
    String source =
        "(SELECT * FROM read_parquet("
            + files.stream().map(p -> "'" + p + "'").collect(Collectors.joining(",", "[", "]"))
            + ") WHERE session_id = '"
            + sessionId
            + "')";
    List<List<String>> out = new ArrayList<>();
    try (Statement st = duck.createStatement();
        ResultSet rs = st.executeQuery(query.formatted(source))) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= columns; i++) {
          row.add(rs.getString(i));
        }
        out.add(row);
      }
    }
    return out;
  }

  private static List<Path> committedFiles(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      // As a cut lists them: _-prefixed directories (_versions, _filtered) are not data.
      return files
          .filter(Files::isRegularFile)
          .filter(p -> !dir.relativize(p).toString().startsWith("_"))
          .filter(p -> p.getFileName().toString().startsWith("part-"))
          .toList();
    }
  }

  private static String ws(String path) {
    return node.httpUrl().replace("http://", "ws://") + path;
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return TestHttp.client()
        .send(
            HttpRequest.newBuilder(URI.create(node.httpUrl() + path)).build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(node.httpUrl() + path))
            .POST(
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("content-type", "application/json");
    }
    return TestHttp.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
