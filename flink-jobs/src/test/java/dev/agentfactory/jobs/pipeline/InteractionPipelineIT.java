package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.flink.EmbeddedFlink;
import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.connectors.flink.JudgeConfig;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.DeadLetters;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.Topics;
import dev.agentfactory.jobs.label.JudgeRubric;
import dev.agentfactory.jobs.label.RuleLabeler;
import dev.agentfactory.jobs.pii.ScrubPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole slice as the node runs it: the shaded job jar uploaded to an embedded Flink through
 * REST, reading from an embedded Kafka, writing Parquet that DuckDB reads.
 */
class InteractionPipelineIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path dataDir;

  @Test
  void eventsBecomeMaskedLabelledParquetRowsAndLiveEvalMetricsAndBadEventsDeadLetters()
      throws Exception {
    Path jobJar = JobJar.shaded();
    Path datasets = dataDir.resolve("datasets");

    // The judge: a local chat completions server standing in for a hosted LLM.
    try (ChatCompletionsServer llm = new ChatCompletionsServer();
        EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), 0);
        EmbeddedFlink flink =
            EmbeddedFlink.start(
                dataDir.resolve("flink"), 0, Map.of("restart-strategy.type", "none"))) {
      kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ, Topics.EVAL_LIVE);
      FlinkRestClient rest = new FlinkRestClient(flink.restUrl());

      PipelineConfig config =
          new PipelineConfig(
                  kafka.bootstrapServers(),
                  Topics.INTERACTIONS,
                  Topics.INTERACTIONS_DLQ,
                  datasets.toUri().toString(),
                  500,
                  "it-pipeline")
              .withEvalWindow(10_000, 1_000)
              .withJudge(
                  new JudgeConfig(llm.baseUrl(), "it-judge", "AF_IT_JUDGE_KEY", 1.0, 20_000, 4));
      String jarId = rest.uploadJar(jobJar).toCompletableFuture().get(60, TimeUnit.SECONDS);
      String jobId =
          rest.runJar(jarId, config.toArgs()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      awaitTrue("job running", () -> "RUNNING".equals(state(rest, jobId)));

      // Valid but for a created_at that Instant.parse accepts and toEpochMilli() overflows on:
      // it must become a dead letter, not a failure that replays it forever and stops the
      // valid events published after it.
      String farFuture =
          new String(
                  new InteractionCodec()
                      .toJson(
                          Interaction.sandboxCommand(
                              "acme", "sess-f", 0, "future", "1.0.0", "ls", "", 0, Duration.ZERO)),
                  StandardCharsets.UTF_8)
              .replaceFirst(
                  "\"created_at\":\"[^\"]*\"", "\"created_at\":\"+300000000-01-01T00:00:00Z\"");
      publishRaw(kafka, farFuture);

      List<Interaction> events =
          List.of(
              Interaction.builder()
                  .sessionId("sess-a")
                  .tenant("acme")
                  .agent("helper", "1.0.0")
                  .message(Message.user("please mail alice@example.com the report"))
                  .message(Message.assistant("done, sent it to alice@example.com"))
                  .build(),
              Interaction.sandboxCommand(
                  "acme", "sess-b", 0, "shell", "1.0.0", "ls", "a.txt\n", 0, Duration.ofMillis(3)),
              Interaction.sandboxCommand(
                  "acme",
                  "sess-b",
                  1,
                  "shell",
                  "1.0.0",
                  "cat x",
                  "no such file",
                  1,
                  Duration.ZERO));
      try (InteractionPublisher publisher = InteractionPublisher.create(kafka.bootstrapServers())) {
        CompletableFuture.allOf(
                events.stream()
                    .map(e -> publisher.publish(e).toCompletableFuture())
                    .toArray(CompletableFuture[]::new))
            .get(30, TimeUnit.SECONDS);
      }
      publishRaw(kafka, "{\"schema_version\": 1, \"event_id\": \"not-a-uuid\"}");
      // Nearly the broker's limit, with the bad value in a field the reason quotes: the dead letter
      // must still fit (a RecordTooLargeException would fail the job and replay it forever).
      String hugeEvent = "{\"schema_version\": 1, \"event_id\": \"" + "x".repeat(1_010_000) + "\"}";
      publishRaw(kafka, hugeEvent);
      // A bad event under a key that nearly fills the record: the dead letter's key is bounded, so
      // the event itself still reaches the topic whole.
      String hugeKey = "k".repeat(1_040_000);
      String badUnderHugeKey = "{\"schema_version\": 1, \"event_id\": \"bad-under-huge-key\"}";
      publishRaw(kafka, hugeKey, badUnderHugeKey);

      // state() fails the wait at once if the job failed, instead of letting it time out
      awaitTrue(
          "3 committed rows",
          () ->
              "RUNNING".equals(state(rest, jobId))
                  && CommittedParquet.rows(datasets.resolve("sft")) == 3);

      try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
          Statement st = db.createStatement()) {
        String files = CommittedParquet.list(CommittedParquet.files(datasets.resolve("sft")));
        try (ResultSet rs =
            st.executeQuery(
                "SELECT typeof(messages), messages[1].content, scrub_policy_version,"
                    + " typeof(created_at)"
                    + " FROM read_parquet("
                    + files
                    + ") WHERE session_id = 'sess-a'")) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getString(1)).startsWith("STRUCT(").endsWith(")[]");
          assertThat(rs.getString(2)).isEqualTo("please mail <EMAIL_ADDRESS> the report");
          assertThat(rs.getString(3)).isEqualTo(ScrubPolicy.DEFAULT_VERSION);
          assertThat(rs.getString(4)).startsWith("TIMESTAMP");
        }
        try (ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM read_parquet("
                    + files
                    + ") t, unnest(t.messages) m"
                    + " WHERE m.unnest.content LIKE '%@%'")) {
          rs.next();
          assertThat(rs.getLong(1)).isZero();
        }
      }

      try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
          Statement st = db.createStatement()) {
        String files = CommittedParquet.list(CommittedParquet.files(datasets.resolve("sft")));
        try (ResultSet rs =
            st.executeQuery(
                "SELECT l.unnest.value, l.unnest.source, l.unnest.rubric_version, l.unnest.degraded"
                    + " FROM read_parquet("
                    + files
                    + ") t, unnest(t.labels) l"
                    + " WHERE t.messages[1].content = 'cat x' AND l.unnest.name = 'tool_error'")) {
          assertThat(rs.next()).as("tool_error label of the failed command").isTrue();
          assertThat(rs.getString(1)).isEqualTo("true");
          assertThat(rs.getString(2)).isEqualTo("rule");
          assertThat(rs.getString(3)).isEqualTo(RuleLabeler.VERSION);
          assertThat(rs.getBoolean(4)).isFalse();
        }
        try (ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM read_parquet("
                    + files
                    + ") t, unnest(t.labels) l"
                    + " WHERE l.unnest.name = 'judge_verdict' AND l.unnest.value = 'pass'"
                    + " AND l.unnest.model = 'judge-model'"
                    + " AND l.unnest.rubric_version = '"
                    + JudgeRubric.VERSION
                    + "'")) {
          rs.next();
          assertThat(rs.getLong(1)).as("judge labels").isEqualTo(3);
        }
        try (ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM read_parquet("
                    + files
                    + ") t, unnest(t.scores) s"
                    + " WHERE s.unnest.name = 'judge_score' AND s.unnest.value = 1.0")) {
          rs.next();
          assertThat(rs.getLong(1)).as("judge scores").isEqualTo(3);
        }
      }
      assertThat(llm.calls()).as("one judge call per example").isEqualTo(3);

      JsonNode shell =
          firstJson(
              kafka,
              Topics.EVAL_LIVE,
              "acme/shell/1.0.0",
              m -> m.get("turns").asLong() == 2 && m.get("tool_calls").asLong() == 2);
      assertThat(shell.get("tool_error_rate").asDouble()).isEqualTo(0.5);
      assertThat(shell.get("success_rate").asDouble()).isEqualTo(0.5);
      assertThat(shell.at("/latency_ms/p95").isNumber()).isTrue();
      // The verdicts come as samples of their own, after the turns: looked for on their own.
      JsonNode shellJudged =
          firstJson(
              kafka,
              Topics.EVAL_LIVE,
              "acme/shell/1.0.0",
              m -> m.at("/judge/judged").asLong() == 2);
      assertThat(shellJudged.at("/judge/mean_score").asDouble()).isEqualTo(1.0);
      JsonNode helperTurn =
          firstJson(
              kafka, Topics.EVAL_LIVE, "acme/helper/1.0.0", m -> m.get("turns").asLong() == 1);
      assertThat(helperTurn.at("/tokens/input").asLong()).isZero();
      // The safety scan runs on the raw event, the turn goes through scrub, filter and judge
      // first: under load their samples land in different windows, so each is looked for alone.
      JsonNode helperSafety =
          firstJson(
              kafka,
              Topics.EVAL_LIVE,
              "acme/helper/1.0.0",
              m -> m.at("/safety/pii_in_output").asLong() > 0);
      assertThat(helperSafety.at("/safety/pii_in_output").asLong())
          .as("the email in the assistant's answer, seen before scrubbing")
          .isEqualTo(1);
      assertThat(helperSafety.at("/safety/secret_leaks").asLong()).isZero();

      List<ConsumerRecord<byte[], byte[]>> deadLetters = records(kafka, Topics.INTERACTIONS_DLQ, 4);
      ConsumerRecord<byte[], byte[]> future = deadLetters.get(0);
      assertThat(header(future, DeadLetters.FIELD_HEADER)).isEqualTo("created_at");
      assertThat(header(future, DeadLetters.REASON_HEADER))
          .startsWith("created_at: must be between")
          .endsWith("but was +300000000-01-01T00:00:00Z");
      assertThat(new String(future.value(), StandardCharsets.UTF_8)).isEqualTo(farFuture);
      ConsumerRecord<byte[], byte[]> deadLetter = deadLetters.get(1);
      assertThat(header(deadLetter, DeadLetters.FIELD_HEADER)).isEqualTo("event_id");
      assertThat(header(deadLetter, DeadLetters.REASON_HEADER)).startsWith("event_id: not a UUID");
      assertThat(new String(deadLetter.value(), StandardCharsets.UTF_8)).contains("not-a-uuid");
      ConsumerRecord<byte[], byte[]> huge = deadLetters.get(2);
      assertThat(header(huge, DeadLetters.REASON_HEADER))
          .startsWith("event_id: not a UUID: 'xxx")
          .endsWith("(1010000 chars)");
      assertThat(header(huge, DeadLetters.TRUNCATED_HEADER))
          .isEqualTo(Integer.toString(hugeEvent.length()));
      assertThat(huge.value().length).isLessThan(1_010_000);
      ConsumerRecord<byte[], byte[]> hugeKeyed = deadLetters.get(3);
      assertThat(new String(hugeKeyed.value(), StandardCharsets.UTF_8)).isEqualTo(badUnderHugeKey);
      assertThat(header(hugeKeyed, DeadLetters.REASON_HEADER)).startsWith("event_id: not a UUID");
      assertThat(hugeKeyed.key().length).isLessThanOrEqualTo(DeadLetters.MAX_KEY_BYTES);
      assertThat(header(hugeKeyed, DeadLetters.KEY_TRUNCATED_HEADER))
          .isEqualTo(Integer.toString(hugeKey.length()));

      String savepoint =
          rest.stopWithSavepoint(jobId).toCompletableFuture().get(120, TimeUnit.SECONDS);
      assertThat(savepoint).contains("savepoint");
      assertThat(Path.of(java.net.URI.create(savepoint))).isDirectory();
      awaitTrue("job finished", () -> "FINISHED".equals(state(rest, jobId)));
      assertThat(CommittedParquet.rows(datasets.resolve("sft"))).isEqualTo(3);

      // The node's restart: the same jar from the final savepoint, continuing where it stopped.
      String resumed =
          rest.runJar(jarId, config.toArgs(), Optional.of(savepoint))
              .toCompletableFuture()
              .get(60, TimeUnit.SECONDS);
      awaitTrue("resumed job running", () -> "RUNNING".equals(state(rest, resumed)));
      try (InteractionPublisher publisher = InteractionPublisher.create(kafka.bootstrapServers())) {
        publisher
            .publish(
                Interaction.sandboxCommand(
                    "acme", "sess-c", 0, "shell", "1.0.0", "pwd", "/w", 0, Duration.ZERO))
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
      }
      awaitTrue("4 committed rows", () -> CommittedParquet.rows(datasets.resolve("sft")) == 4);
      assertThat(distinctExampleIds(datasets)).as("no event written twice").isEqualTo(4);
      rest.cancel(resumed).toCompletableFuture().get(30, TimeUnit.SECONDS);
      awaitTrue("resumed job cancelled", () -> "CANCELED".equals(state(rest, resumed)));
      rest.deleteJar(jarId).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static String state(FlinkRestClient rest, String jobId) {
    JobSummary job = rest.job(jobId).toCompletableFuture().join();
    if ("FAILED".equals(job.state())) {
      throw new AssertionError("job failed: " + job);
    }
    return job.state();
  }

  private static long distinctExampleIds(Path datasets) throws SQLException {
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(DISTINCT example_id) FROM read_parquet("
                    + CommittedParquet.list(CommittedParquet.files(datasets.resolve("sft")))
                    + ")")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void publishRaw(EmbeddedKafka kafka, String value) throws Exception {
    publishRaw(kafka, "sess-bad", value);
  }

  private static void publishRaw(EmbeddedKafka kafka, String key, String value) throws Exception {
    Map<String, Object> props =
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  Topics.INTERACTIONS, key, value.getBytes(StandardCharsets.UTF_8)))
          .get(30, TimeUnit.SECONDS);
    }
  }

  /** At least the first {@code count} records of {@code topic}, read by a group of its own. */
  private static List<ConsumerRecord<byte[], byte[]>> records(
      EmbeddedKafka kafka, String topic, int count) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            "it-dlq-reader-" + java.util.UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest");
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      Instant deadline = Instant.now().plus(TIMEOUT);
      while (records.size() < count && Instant.now().isBefore(deadline)) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    assertThat(records).as("records on " + topic).hasSizeGreaterThanOrEqualTo(count);
    return records;
  }

  /** The first eval record under {@code key} whose JSON satisfies {@code condition}. */
  private static JsonNode firstJson(
      EmbeddedKafka kafka, String topic, String key, Predicate<JsonNode> condition)
      throws IOException {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            // a group of its own per read: a shared one would resume after what an earlier
            // read of the same key consumed (auto-commit) and miss the records it passed over
            "it-eval-reader-" + key + "-" + java.util.UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest");
    ObjectMapper json = new ObjectMapper();
    List<String> seen = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      Instant deadline = Instant.now().plus(TIMEOUT);
      while (Instant.now().isBefore(deadline)) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (key.equals(new String(r.key(), StandardCharsets.UTF_8))) {
            JsonNode node = json.readTree(r.value());
            seen.add(node.toString());
            if (condition.test(node)) {
              return node;
            }
          }
        }
      }
    }
    throw new AssertionError("no matching eval record for " + key + " in " + seen);
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    assertThat(header).as("header " + name).isNotNull();
    return new String(header.value(), StandardCharsets.UTF_8);
  }

  /** Polls {@code condition} every 100 ms until it holds or {@link #TIMEOUT} passes. */
  private static void awaitTrue(String what, BooleanSupplier condition)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(TIMEOUT);
    Object lock = new Object();
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out waiting for " + what);
      }
      synchronized (lock) {
        lock.wait(100); // a poll interval, not a sleep-and-hope: the deadline bounds it
      }
    }
  }
}
