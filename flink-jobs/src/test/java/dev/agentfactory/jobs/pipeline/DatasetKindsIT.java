package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.dataset.DatasetKind;
import dev.agentfactory.connectors.dataset.version.DatasetCatalog;
import dev.agentfactory.connectors.dataset.version.DatasetVersion;
import dev.agentfactory.connectors.dataset.version.Lineage;
import dev.agentfactory.connectors.dataset.version.ProgressListener;
import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Rating;
import dev.agentfactory.connectors.event.Reference;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.Topics;
import dev.agentfactory.jobs.pii.ScrubPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every dataset kind end to end: events with feedback, comparisons, references and eval marks go
 * through a real Kafka broker and the pipeline on a Flink MiniCluster; DuckDB reads each kind's
 * committed Parquet files and sees the TRL columns, the provenance columns, nested {@code
 * STRUCT(...)[]} types, the right row counts and no raw PII; and versions leave out every row of a
 * turn marked eval, of its amendments, and of its duplicate twins.
 */
class DatasetKindsIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  /** Raw values the events contain and no dataset may. */
  private static final List<String> RAW_PII =
      List.of(
          "alice@example.com",
          "bob@example.org",
          "carol@example.net",
          "dave@example.com",
          "erin@example.com",
          "billing@example.com");

  @TempDir Path dataDir;

  @Test
  void everyKindIsWrittenWithItsColumnsNestedTypesAndNoRawPii() throws Exception {
    Path datasets = dataDir.resolve("datasets");
    List<Interaction> events = events();
    Map<DatasetKind, Long> expectedRows = new EnumMap<>(DatasetKind.class);
    expectedRows.put(DatasetKind.SFT, 8L);
    expectedRows.put(DatasetKind.PREFERENCE, 1L);
    expectedRows.put(DatasetKind.UNPAIRED, 5L);
    expectedRows.put(DatasetKind.RFT, 1L);
    expectedRows.put(DatasetKind.EVAL, 3L);
    // Withdrawal rows committed per kind: sess-plain's thumbs-down (sft), the three eval turns
    // (sess-eval, sess-late-eval, sess-eval-first; sft only for the two amended later) and
    // sess-eval-first's thumbs-down after its eval mark (sft).
    Map<DatasetKind, Long> expectedWithdrawals = new EnumMap<>(DatasetKind.class);
    expectedWithdrawals.put(DatasetKind.SFT, 4L);
    expectedWithdrawals.put(DatasetKind.PREFERENCE, 3L);
    expectedWithdrawals.put(DatasetKind.UNPAIRED, 3L);
    expectedWithdrawals.put(DatasetKind.RFT, 3L);
    // Rows versions leave out: sft the turn rows of sess-plain, sess-late-eval, sess-eval-first;
    // unpaired the rating rows of the two turns marked eval, before or after their rating.
    Map<DatasetKind, Long> expectedExcluded = new EnumMap<>(DatasetKind.class);
    expectedExcluded.put(DatasetKind.SFT, 3L);
    expectedExcluded.put(DatasetKind.UNPAIRED, 2L);

    run(datasets, events, expectedRows, expectedWithdrawals);

    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement()) {
      for (DatasetKind kind : DatasetKind.values()) {
        String src =
            "read_parquet("
                + CommittedParquet.list(
                    CommittedParquet.files(datasets.resolve(kind.datasetName())))
                + ")";
        Map<String, String> types = columnTypes(st, src);
        assertThat(types)
            .as(kind + " provenance columns")
            .containsEntry("example_id", "VARCHAR")
            .containsEntry("trace_id", "VARCHAR")
            .containsEntry("session_id", "VARCHAR")
            .containsEntry("agent", "VARCHAR")
            .containsEntry("agent_version", "VARCHAR")
            .containsEntry("model", "VARCHAR")
            .containsEntry("scrub_policy_version", "VARCHAR");
        assertThat(types.get("created_at")).as(kind + " created_at").startsWith("TIMESTAMP");
        assertNestedList(types, "labels", "name", "value", "source", "rubric_version", "degraded");
        assertNestedList(types, "scores", "name", "\"value\" DOUBLE", "source");
        assertNestedList(
            types, "pii_spans", "entity_type", "start", "end", "action", "field", "message_index");
        for (String column : messageColumns(kind)) {
          assertNestedList(
              types,
              column,
              "role",
              "content",
              "tool_call_id",
              "\"name\" VARCHAR",
              "tool_calls STRUCT(id VARCHAR, \"type\" VARCHAR, \"function\" STRUCT(\"name\""
                  + " VARCHAR, arguments VARCHAR))[]");
        }
        assertStandardThreeLevelLists(
            st, CommittedParquet.files(datasets.resolve(kind.datasetName())));
        for (String raw : RAW_PII) {
          try (ResultSet rs =
              st.executeQuery(
                  "SELECT count(*) FROM "
                      + src
                      + " t WHERE CAST(t AS VARCHAR) LIKE '%"
                      + raw
                      + "%'")) {
            rs.next();
            assertThat(rs.getLong(1)).as(kind + " rows containing " + raw).isZero();
          }
        }
        try (ResultSet rs = st.executeQuery("SELECT DISTINCT scrub_policy_version FROM " + src)) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getString(1)).isEqualTo(ScrubPolicy.DEFAULT_VERSION);
          assertThat(rs.next()).isFalse();
        }
        for (String conversation : conversations(kind)) {
          // docs/datasets.md's query for rows with a tool message that answers no earlier call
          try (ResultSet rs =
              st.executeQuery(
                  "SELECT example_id FROM (SELECT example_id, "
                      + conversation
                      + " AS messages FROM "
                      + src
                      + ") WHERE "
                      + TOOL_MESSAGE_WITHOUT_ITS_CALL)) {
            assertThat(rs.next())
                .as(kind + " " + conversation + ": a tool message answers no earlier call")
                .isFalse();
          }
        }
      }

      assertThat(columnTypes(st, src(datasets, DatasetKind.UNPAIRED)))
          .containsEntry("label", "BOOLEAN");
      assertThat(columnTypes(st, src(datasets, DatasetKind.RFT)))
          .containsEntry("ground_truth", "VARCHAR")
          .containsEntry("verifier", "VARCHAR");
      assertThat(columnTypes(st, src(datasets, DatasetKind.EVAL)))
          .containsEntry("expected", "VARCHAR")
          .containsEntry("rubric", "VARCHAR");

      // The comparison: the kept answer chosen, the discarded one (masked) rejected, and the spans
      // of what was masked recorded by field, without the values.
      try (ResultSet rs =
          st.executeQuery(
              "SELECT chosen[1].content, rejected[1].content, prompt[len(prompt)].role,"
                  + " list_transform(pii_spans, lambda s: s.field || ':' || s.entity_type || ':'"
                  + " || s.action)::VARCHAR, trace_id FROM "
                  + src(datasets, DatasetKind.PREFERENCE))) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("Rain on the tin roof");
        assertThat(rs.getString(2)).isEqualTo("ask <EMAIL_ADDRESS> for a haiku");
        assertThat(rs.getString(3)).isEqualTo("user");
        assertThat(rs.getString(4))
            .contains("messages[0].content:EMAIL_ADDRESS:MASK")
            .contains("feedback.rejected[0].content:EMAIL_ADDRESS:MASK");
        assertThat(rs.getString(5)).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT label, labels[1].name, labels[1].value, labels[1].source FROM "
                  + src(datasets, DatasetKind.UNPAIRED)
                  + " WHERE session_id IN ('sess-up', 'sess-down') ORDER BY label")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getBoolean(1)).isFalse();
        assertThat(rs.getString(3)).isEqualTo("down");
        assertThat(rs.next()).isTrue();
        assertThat(rs.getBoolean(1)).isTrue();
        assertThat(rs.getString(2)).isEqualTo("user_rating");
        assertThat(rs.getString(3)).isEqualTo("up");
        assertThat(rs.getString(4)).isEqualTo("user");
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT ground_truth, verifier, len(prompt), prompt[1].content FROM "
                  + src(datasets, DatasetKind.RFT))) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("51");
        assertThat(rs.getString(2)).isEqualTo("numeric");
        assertThat(rs.getInt(3)).as("the prompt stops at the user message").isEqualTo(1);
        // (the name finder may mask more of it; that is the PII model's business, not this test's)
        assertThat(rs.getString(4)).startsWith("what is").endsWith("cc <EMAIL_ADDRESS>");
      }
      // The agent turn in TRL's tool-calling order: the call, its result naming it, the answer.
      String sft = src(datasets, DatasetKind.SFT);
      assertThat(firstCall(st, sft, "sess-rft"))
          .containsExactly(
              "[user, assistant, tool, assistant]",
              "function",
              "sandbox_exec",
              "{\"command\":\"python3 -c 'print(17*3)'\"}",
              "true",
              "sandbox_exec",
              "51\n",
              "51");
      try (ResultSet rs =
          st.executeQuery(
              "SELECT messages[4].tool_calls IS NULL,"
                  + " messages[1].tool_calls IS NULL AND messages[1].tool_call_id IS NULL FROM "
                  + sft
                  + " WHERE session_id = 'sess-rft'")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getBoolean(1)).isTrue();
        assertThat(rs.getBoolean(2)).isTrue();
      }
      // A command the user ran: an assistant call of the tool agents call, answered by its output.
      // Its arguments are scrubbed like its message (no raw address in any row, above).
      List<String> command = firstCall(st, sft, "sess-tool");
      assertThat(command.subList(0, 3))
          .containsExactly("[user, assistant, tool]", "function", "sandbox_exec");
      assertThat(command.get(3)).startsWith("{\"command\":\"grep -l ").contains("<EMAIL_ADDRESS>");
      assertThat(command.subList(4, 6)).containsExactly("true", "sandbox_exec");
      // (the name finder may mask a word of the output; that is the PII model's business)
      assertThat(command.get(6)).endsWith("logs\n").isEqualTo(command.get(7));
      // A turn from an edge before tool_call_ids: its call and result before its answer.
      assertThat(firstCall(st, sft, "sess-old-edge"))
          .containsExactly(
              "[user, assistant, tool, assistant]",
              "function",
              "sandbox_exec",
              "{\"command\":\"expr 6 '*' 7\"}",
              "true",
              "sandbox_exec",
              "42\n",
              "42");
      try (ResultSet rs =
          st.executeQuery(
              "SELECT expected, rubric, input[len(input)].content FROM "
                  + src(datasets, DatasetKind.EVAL))) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("write to <EMAIL_ADDRESS>");
        assertThat(rs.getString(2)).isEqualTo("names the billing mailbox");
        assertThat(rs.getString(3)).isEqualTo("who handles billing questions for invoices?");
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT count(*) FROM "
                  + src(datasets, DatasetKind.SFT)
                  + " WHERE list_contains(list_transform(messages, lambda m: m.content),"
                  + " 'who handles billing questions for invoices?')"
                  + " OR list_contains(list_transform(messages, lambda m: m.content),"
                  + " 'I cannot say, sorry about that')")) {
        rs.next();
        assertThat(rs.getLong(1))
            .as("eval examples and thumbs-down turns stay out of sft")
            .isZero();
      }
    }

    // Each kind is a dataset the catalog versions: rows and schema in the manifest.
    // Withdrawn rows (sess-plain's thumbs-down, the turns marked eval) stay in the files, not in
    // versions: no training kind keeps a row of a turn marked eval, whatever came first.
    DatasetCatalog catalog = new DatasetCatalog(datasets);
    for (DatasetKind kind : DatasetKind.values()) {
      DatasetVersion v = catalog.cut(kind.datasetName(), Lineage.unknown(), ProgressListener.NONE);
      long withdrawn = expectedExcluded.getOrDefault(kind, 0L);
      assertThat(v.excludedRows()).as(kind + " excluded rows").isEqualTo(withdrawn);
      assertThat(v.files().stream().mapToLong(f -> f.rows()).sum())
          .isEqualTo(expectedRows.get(kind) - withdrawn);
      assertThat(v.schema().parquet()).contains("pii_spans", "scrub_policy_version");
      assertThat(v.lineage().scrubPolicies()).containsExactly(ScrubPolicy.DEFAULT_VERSION);
      if (kind != DatasetKind.EVAL) {
        assertThat(versionedSessions(datasets, v))
            .as(kind + " rows of turns marked eval in the version")
            .doesNotContain("sess-eval", "sess-late-eval", "sess-eval-first");
      }
    }
  }

  /**
   * The quality filter drops a turn that duplicates a kept one, so an eval mark may name a turn
   * that has no row of its own while its twin trains. Four groups of twins, each marked eval in a
   * different order: no training version keeps a row of any of their turns, and the eval rows are
   * all there.
   */
  @Test
  void anEvalMarkOnOneOfTwinTurnsKeepsEveryTwinOutOfTraining() throws Exception {
    Path datasets = dataDir.resolve("datasets");
    List<Interaction> events = new ArrayList<>();
    Instant now = Instant.parse("2026-11-25T11:00:00Z");

    // A: the mark names a dropped duplicate. The kept turn (sft, and a rating's unpaired row) and
    // the other duplicate (a rating's unpaired row) are withdrawn.
    Interaction a1 = twin(now, "sess-twin-a1", "how do I reset the staging database", RESET);
    Interaction a2 = twin(now, "sess-twin-a2", "how do I reset the staging database", RESET);
    Interaction a3 = twin(now, "sess-twin-a3", "how do I reset the staging database", RESET);
    events.add(a1);
    events.add(a1.amendedWith(uuid("a1/up"), Feedback.rated(Rating.UP), null));
    events.add(a2);
    events.add(a3);
    events.add(a3.amendedWith(uuid("a3/up"), Feedback.rated(Rating.UP), null));
    events.add(a2.amendedWith(uuid("a2/eval"), null, Reference.evalExample("reset-staging", null)));

    // B: the mark names the kept turn. A duplicate dropped before it and one dropped after it
    // each had a rating: their unpaired rows are withdrawn.
    String webhooks = "which queue holds failed payment webhooks";
    Interaction b1 = twin(now, "sess-twin-b1", webhooks, QUEUE);
    Interaction b2 = twin(now, "sess-twin-b2", webhooks, QUEUE);
    Interaction b3 = twin(now, "sess-twin-b3", webhooks, QUEUE);
    events.add(b1);
    events.add(b2);
    events.add(b2.amendedWith(uuid("b2/down"), Feedback.rated(Rating.DOWN), null));
    events.add(b1.amendedWith(uuid("b1/eval"), null, Reference.evalExample("webhook-retry", null)));
    events.add(b3);
    events.add(b3.amendedWith(uuid("b3/up"), Feedback.rated(Rating.UP), null));

    // C: the mark names a near duplicate (one word of a long answer differs).
    String restore = "how do I restore the reporting service after a failed deploy";
    Interaction c1 = twin(now, "sess-twin-c1", restore, RUNBOOK);
    Interaction c2 =
        twin(now, "sess-twin-c2", restore, RUNBOOK.replace("the oldest one", "the earliest one"));
    events.add(c1);
    events.add(c2);
    events.add(c2.amendedWith(uuid("c2/eval"), null, Reference.evalExample("roll back", null)));

    // D: the mark reaches the pipeline before the duplicate it names.
    Interaction d1 = twin(now, "sess-twin-d1", "where are the nightly backup logs kept", BACKUPS);
    Interaction d2 = twin(now, "sess-twin-d2", "where are the nightly backup logs kept", BACKUPS);
    events.add(d1);
    events.add(d2.amendedWith(uuid("d2/eval"), null, Reference.evalExample("backup-logs", null)));
    events.add(d2);

    // A turn without twins, rated up: it stays in sft and unpaired.
    Interaction other =
        twin(now, "sess-other", "when does the nightly build start", "it starts at two am");
    events.add(other);
    events.add(other.amendedWith(uuid("other/up"), Feedback.rated(Rating.UP), null));

    Map<DatasetKind, Long> expectedRows = new EnumMap<>(DatasetKind.class);
    expectedRows.put(DatasetKind.SFT, 5L); // a1, b1, c1, d1, other
    expectedRows.put(DatasetKind.UNPAIRED, 5L); // the ratings of a1, a3, b2, b3, other
    expectedRows.put(DatasetKind.EVAL, 4L); // the marks of a2, b1, c2, d2
    // Each mark withdraws the turn it names from every training kind; the filter withdraws the
    // twins a1, a3, b2, b3, c1, d1 from every training kind; b2's thumbs-down its sft row.
    Map<DatasetKind, Long> expectedWithdrawals = new EnumMap<>(DatasetKind.class);
    expectedWithdrawals.put(DatasetKind.SFT, 4L + 6L + 1L);
    expectedWithdrawals.put(DatasetKind.PREFERENCE, 4L + 6L);
    expectedWithdrawals.put(DatasetKind.UNPAIRED, 4L + 6L);
    expectedWithdrawals.put(DatasetKind.RFT, 4L + 6L);

    run(datasets, events, expectedRows, expectedWithdrawals);

    List<String> twins =
        List.of(a1, a3, b2, b3, c1, d1).stream().map(e -> e.eventId().toString()).toList();
    for (DatasetKind kind :
        List.of(DatasetKind.SFT, DatasetKind.PREFERENCE, DatasetKind.UNPAIRED, DatasetKind.RFT)) {
      Path dir = datasets.resolve("_withdrawals").resolve(kind.datasetName());
      assertThat(
              strings(
                  "SELECT example_id FROM read_parquet("
                      + CommittedParquet.list(CommittedParquet.files(dir))
                      + ") WHERE reason = 'eval_duplicate'"))
          .as(kind + " withdrawals of eval examples' twins")
          .containsExactlyInAnyOrderElementsOf(twins);
    }

    DatasetCatalog catalog = new DatasetCatalog(datasets);
    DatasetVersion sft = catalog.cut("sft", Lineage.unknown(), ProgressListener.NONE);
    assertThat(sft.excludedRows()).as("sft rows of a1, b1, c1, d1").isEqualTo(4);
    assertThat(versionedSessions(datasets, sft))
        .as("sft: only the turn without twins trains")
        .containsExactly("sess-other");
    DatasetVersion unpaired = catalog.cut("unpaired", Lineage.unknown(), ProgressListener.NONE);
    assertThat(unpaired.excludedRows()).as("unpaired rows of a1, a3, b2, b3").isEqualTo(4);
    assertThat(versionedSessions(datasets, unpaired)).containsExactly("sess-other");
    DatasetVersion eval = catalog.cut("eval", Lineage.unknown(), ProgressListener.NONE);
    assertThat(versionedSessions(datasets, eval))
        .containsExactlyInAnyOrder("sess-twin-a2", "sess-twin-b1", "sess-twin-c2", "sess-twin-d2");
  }

  private static final String RESET = "run the reset-staging job from the ops console";
  private static final String QUEUE = "the webhook-retry queue in the payments cluster";
  private static final String BACKUPS = "in the backup-logs bucket under the nightly prefix";

  /** Long enough (over 100 words) for near-duplicate detection to find a one-word change. */
  private static final String RUNBOOK =
      "to restore the reporting service after a failed deploy first open the release dashboard"
          + " and find the last green build of the reporting service, then pause the scheduled"
          + " export jobs so that no partial files reach the shared bucket while you work. next"
          + " roll the deployment back to that build and wait until every replica reports ready"
          + " in the health view. after that replay the export jobs that were skipped during the"
          + " outage, starting with the oldest one, and compare their row counts with the"
          + " previous week. finally resume the schedule, write a short note in the incident"
          + " channel and open a ticket to find the root cause of the failed deploy before the"
          + " next release window closes on friday afternoon";

  private static Interaction twin(Instant at, String session, String question, String answer) {
    return chat(at)
        .sessionId(session)
        .message(Message.user(question))
        .message(Message.assistant(answer))
        .build();
  }

  /** The first column of every row {@code sql} answers, in DuckDB. */
  private static List<String> strings(String sql) throws SQLException {
    List<String> values = new ArrayList<>();
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        values.add(rs.getString(1));
      }
    }
    return values;
  }

  /**
   * Publishes {@code events} to a fresh Kafka broker, runs the pipeline on a MiniCluster until each
   * kind has its expected committed rows and withdrawals (kinds not in a map: not waited for), then
   * cancels it.
   */
  private void run(
      Path datasets,
      List<Interaction> events,
      Map<DatasetKind, Long> expectedRows,
      Map<DatasetKind, Long> expectedWithdrawals)
      throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), 0)) {
      kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ, Topics.EVAL_LIVE);
      PipelineConfig config =
          new PipelineConfig(
              kafka.bootstrapServers(),
              Topics.INTERACTIONS,
              Topics.INTERACTIONS_DLQ,
              datasets.toUri().toString(),
              500,
              "it-kinds");

      Configuration conf = new Configuration();
      conf.setString("rest.bind-port", "0");
      conf.setString("restart-strategy.type", "none");
      StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
      env.enableCheckpointing(500, CheckpointingMode.EXACTLY_ONCE);
      new InteractionPipelineJob(
              InteractionPipelineJob.kafkaSource(config),
              DatasetSinks.parquet(config.output()),
              InteractionPipelineJob.deadLetterSink(config),
              InteractionPipelineJob.evalSink(config),
              config)
          .build(env);
      JobClient job = env.executeAsync("it-dataset-kinds");
      try {
        // One partition and one producer: the pipeline sees the events in this order.
        try (InteractionPublisher publisher =
            InteractionPublisher.create(kafka.bootstrapServers())) {
          CompletableFuture.allOf(
                  events.stream()
                      .map(e -> publisher.publish(e).toCompletableFuture())
                      .toArray(CompletableFuture[]::new))
              .get(30, TimeUnit.SECONDS);
        }
        for (Map.Entry<DatasetKind, Long> r : expectedRows.entrySet()) {
          Path dir = datasets.resolve(r.getKey().datasetName());
          awaitTrue(
              r.getValue() + " committed " + r.getKey().datasetName() + " rows",
              () -> CommittedParquet.rows(dir) == r.getValue());
        }
        for (Map.Entry<DatasetKind, Long> w : expectedWithdrawals.entrySet()) {
          Path dir = datasets.resolve("_withdrawals").resolve(w.getKey().datasetName());
          awaitTrue(
              w.getValue() + " committed " + w.getKey().datasetName() + " withdrawals",
              () -> Files.isDirectory(dir) && CommittedParquet.rows(dir) == w.getValue());
        }
      } finally {
        job.cancel().get(60, TimeUnit.SECONDS);
      }
    }
  }

  /** The session ids of the rows in the files a version lists. */
  private static List<String> versionedSessions(Path datasets, DatasetVersion v) throws Exception {
    List<Path> files =
        v.files().stream().map(f -> datasets.resolve(v.dataset()).resolve(f.path())).toList();
    List<String> sessions = new ArrayList<>();
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT session_id FROM read_parquet(" + CommittedParquet.list(files) + ")")) {
      while (rs.next()) {
        sessions.add(rs.getString(1));
      }
    }
    return sessions;
  }

  private static List<Interaction> events() {
    Instant now = Instant.parse("2026-11-25T10:00:00Z");
    List<Interaction> events = new ArrayList<>();
    // sft only
    events.add(
        chat(now)
            .sessionId("sess-plain")
            .message(Message.user("please mail alice@example.com the quarterly report"))
            .message(Message.assistant("done, the report is on its way"))
            .build());
    // preference (and sft): the kept answer over a regenerated-away alternative
    events.add(
        chat(now)
            .sessionId("sess-pref")
            .traceId("4bf92f3577b34da6a3ce929d0e0e4736")
            .message(Message.user("a haiku about rain for carol@example.net"))
            .message(Message.assistant("Rain on the tin roof"))
            .feedback(
                Feedback.preferredOver(
                    List.of(Message.assistant("ask bob@example.org for a haiku"))))
            .build());
    // unpaired true (and sft)
    events.add(
        chat(now)
            .sessionId("sess-up")
            .message(Message.user("summarise the notes from the design review"))
            .message(Message.assistant("The review approved the new storage layout"))
            .feedback(Feedback.rated(Rating.UP))
            .build());
    // unpaired false, not sft
    events.add(
        chat(now)
            .sessionId("sess-down")
            .message(Message.user("which region hosts the staging cluster"))
            .message(Message.assistant("I cannot say, sorry about that"))
            .feedback(Feedback.rated(Rating.DOWN))
            .build());
    // rft (and sft)
    events.add(
        chat(now)
            .sessionId("sess-rft")
            .message(Message.user("what is 17 * 3? cc dave@example.com"))
            // an agent turn that calls a tool, then answers
            .message(Message.assistant("", List.of("c1")))
            .message(Message.assistant("51"))
            .toolCall(
                new ToolCall(
                    "c1",
                    "sandbox_exec",
                    "{\"command\":\"python3 -c 'print(17*3)'\"}",
                    "51\n",
                    0,
                    ToolCallStatus.OK,
                    3))
            .reference(Reference.groundTruth("51", "numeric"))
            .build());
    // eval only
    events.add(
        chat(now)
            .sessionId("sess-eval")
            .message(Message.system("answer from the handbook"))
            .message(Message.user("who handles billing questions for invoices?"))
            .message(Message.assistant("the finance team"))
            .reference(
                Reference.evalExample("write to billing@example.com", "names the billing mailbox"))
            .build());
    // a thumbs-down after sess-plain's turn: unpaired false, and withdraws its sft row
    events.add(
        events
            .get(0)
            .amendedWith(
                UUID.nameUUIDFromBytes("sess-plain/down".getBytes(StandardCharsets.UTF_8)),
                Feedback.rated(Rating.DOWN),
                null));
    // A rating, then an eval mark: the turn's sft row and the rating's unpaired row are withdrawn.
    events.add(
        chat(now)
            .sessionId("sess-late-eval")
            .message(Message.user("how do I rotate the deploy keys"))
            .message(Message.assistant("run the rotate-keys job in the release pipeline"))
            .build());
    Interaction lateEval = events.get(events.size() - 1);
    events.add(lateEval.amendedWith(uuid("sess-late-eval/up"), Feedback.rated(Rating.UP), null));
    events.add(
        lateEval.amendedWith(
            uuid("sess-late-eval/eval"), null, Reference.evalExample("the rotate-keys job", null)));
    // An eval mark, then a rating: the rating's unpaired row is withdrawn all the same.
    events.add(
        chat(now)
            .sessionId("sess-eval-first")
            .message(Message.user("which port does the admin console listen on"))
            .message(Message.assistant("the admin console listens on port 8443"))
            .build());
    Interaction evalFirst = events.get(events.size() - 1);
    events.add(
        evalFirst.amendedWith(
            uuid("sess-eval-first/eval"), null, Reference.evalExample("8443", "names the port")));
    events.add(
        evalFirst.amendedWith(uuid("sess-eval-first/down"), Feedback.rated(Rating.DOWN), null));
    // sft, with a tool call no model made
    events.add(
        Interaction.sandboxCommand(
            "acme",
            "sess-tool",
            0,
            "shell",
            "1.0.0",
            "grep -l erin@example.com /srv",
            "data\nlogs\n",
            0,
            Duration.ZERO));
    // sft: an agent turn from an edge before tool_call_ids (no message names its call)
    events.add(
        chat(now)
            .sessionId("sess-old-edge")
            .message(Message.user("how much is six times seven"))
            .message(Message.assistant("42"))
            .toolCall(
                new ToolCall(
                    "call_0",
                    "sandbox_exec",
                    "{\"command\":\"expr 6 '*' 7\"}",
                    "42\n",
                    0,
                    ToolCallStatus.OK,
                    2))
            .build());
    return events;
  }

  private static UUID uuid(String name) {
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
  }

  private static Interaction.Builder chat(Instant at) {
    return Interaction.builder().tenant("acme").agent("helper", "1.0.0").model("m-1").createdAt(at);
  }

  /**
   * Of the {@code sft} row of {@code session}, whose second message makes a tool call: the roles,
   * the call's type, name and arguments, whether the third message answers it by id, that message's
   * name and content, and the last message's content.
   */
  private static List<String> firstCall(Statement st, String src, String session)
      throws SQLException {
    try (ResultSet rs =
        st.executeQuery(
            "SELECT list_transform(messages, lambda m: m.role)::VARCHAR,"
                + " messages[2].tool_calls[1].type, messages[2].tool_calls[1].function.name,"
                + " messages[2].tool_calls[1].function.arguments,"
                + " (messages[3].tool_call_id = messages[2].tool_calls[1].id)::VARCHAR,"
                + " messages[3].name, messages[3].content, messages[len(messages)].content FROM "
                + src
                + " WHERE session_id = '"
                + session
                + "'")) {
      assertThat(rs.next()).as("the sft row of " + session).isTrue();
      List<String> values = new ArrayList<>();
      for (int i = 1; i <= 8; i++) {
        values.add(rs.getString(i));
      }
      return values;
    }
  }

  /**
   * True for a row (its conversation in {@code messages}) with a {@code tool} message whose {@code
   * tool_call_id} no earlier message's {@code tool_calls} has; as in docs/datasets.md.
   */
  private static final String TOOL_MESSAGE_WITHOUT_ITS_CALL =
      "list_bool_or(list_transform(messages, lambda m, i: m.role = 'tool' AND NOT"
          + " coalesce(list_contains(flatten(list_transform(messages[:i - 1], lambda p:"
          + " coalesce(list_transform(p.tool_calls, lambda c: c.id), []))), m.tool_call_id),"
          + " false)))";

  /** Each conversation a row of {@code kind} holds, its prompt and response together. */
  private static List<String> conversations(DatasetKind kind) {
    return switch (kind) {
      case SFT -> List.of("messages");
      case PREFERENCE -> List.of("list_concat(prompt, chosen)", "list_concat(prompt, rejected)");
      case UNPAIRED -> List.of("list_concat(prompt, completion)");
      case RFT -> List.of("prompt");
      case EVAL -> List.of("input");
    };
  }

  private static List<String> messageColumns(DatasetKind kind) {
    return switch (kind) {
      case SFT -> List.of("messages");
      case PREFERENCE -> List.of("prompt", "chosen", "rejected");
      case UNPAIRED -> List.of("prompt", "completion");
      case RFT -> List.of("prompt");
      case EVAL -> List.of("input");
    };
  }

  private static void assertNestedList(Map<String, String> types, String column, String... fields) {
    assertThat(types.get(column))
        .as(column)
        .isNotNull()
        .startsWith("STRUCT(")
        .endsWith(")[]")
        .contains(fields);
  }

  /** Every list column is stored as {@code <col>.list.element}, not the legacy 2-level layout. */
  private static void assertStandardThreeLevelLists(Statement st, List<Path> files)
      throws SQLException {
    try (ResultSet rs =
        st.executeQuery(
            "SELECT DISTINCT path_in_schema FROM parquet_metadata('" + files.get(0) + "')")) {
      int nested = 0;
      while (rs.next()) {
        String[] parts = rs.getString(1).split(", ");
        if (parts.length > 1) {
          nested++;
          assertThat(parts[1]).as(rs.getString(1)).isEqualTo("list");
          assertThat(parts[2]).as(rs.getString(1)).isEqualTo("element");
        }
      }
      assertThat(nested).isPositive();
    }
  }

  private static Map<String, String> columnTypes(Statement st, String src) throws SQLException {
    Map<String, String> types = new LinkedHashMap<>();
    try (ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM " + src)) {
      while (rs.next()) {
        types.put(rs.getString("column_name"), rs.getString("column_type"));
      }
    }
    return types;
  }

  private static String src(Path datasets, DatasetKind kind) {
    return "read_parquet("
        + CommittedParquet.list(CommittedParquet.files(datasets.resolve(kind.datasetName())))
        + ")";
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
        lock.wait(100); // a poll interval bounded by the deadline
      }
    }
  }
}
