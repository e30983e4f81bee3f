package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.flink.JudgeConfig;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.Topics;
import dev.agentfactory.jobs.eval.EvalMetrics;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What feeds the live evaluation, end to end: events through a real Kafka broker into the pipeline
 * on a Flink MiniCluster, its eval metrics collected in the test's JVM. A turn counts in its own
 * agent version's metrics even when deduplication keeps it out of the datasets, and as soon as it
 * is scrubbed, not when its judge call returns.
 */
class OnlineEvalIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @TempDir Path dataDir;

  private String bootstrapServers;

  @Test
  void aNewVersionsTurnThatRepeatsTheOldVersionsCountsInItsMetricsButTrainsOnce() throws Exception {
    Path datasets = dataDir.resolve("datasets");
    List<Interaction> events =
        List.of(
            question("sess-v1", "1.0.0", 200),
            // The same content from version 2: a duplicate for the datasets (scope tenant+agent).
            question("sess-v2-repeat", "2.0.0", 4_000),
            Interaction.builder()
                .sessionId("sess-v2-new")
                .tenant("acme")
                .agent("helper", "2.0.0")
                .message(Message.user("and the capital of Italy?"))
                .message(Message.assistant("Rome is the capital of Italy."))
                .latencyMs(100)
                .build());

    try (CollectingSink<EvalMetrics> eval = new CollectingSink<>()) {
      run(
          datasets,
          JudgeConfig.off(),
          eval,
          () -> {
            publish(events);
            EvalMetrics v2 =
                awaitMetrics(eval, "acme/helper/2.0.0", m -> m.turns() == 2, "two v2 turns");
            assertThat(v2.successRate()).isEqualTo(1.0);
            assertThat(v2.latencyP95Ms())
                .as("the repeated turn's latency is in version 2's percentiles")
                .isGreaterThan(3_000);
            assertThat(awaitMetrics(eval, "acme/helper/1.0.0", m -> m.turns() >= 1, "v1").turns())
                .isEqualTo(1);

            // Deduplication still holds for training: the last event's row committed means the
            // repeat (before it on the one partition) was dropped, not merely late.
            Path sft = datasets.resolve("sft");
            awaitTrue("2 committed sft rows", () -> CommittedParquet.rows(sft) == 2);
            assertThat(sftSessions(sft)).containsExactlyInAnyOrder("sess-v1", "sess-v2-new");
          });
    }
  }

  @Test
  void aTurnCountsInTheLiveEvaluationWhileItsJudgeCallIsStillPending() throws Exception {
    try (ChatCompletionsServer llm = new ChatCompletionsServer();
        CollectingSink<EvalMetrics> eval = new CollectingSink<>()) {
      llm.hold();
      // Sample rate 1: every turn is judged; a timeout far beyond this test's waits.
      JudgeConfig judge =
          new JudgeConfig(llm.baseUrl(), "it-judge", "AF_IT_JUDGE_KEY", 1.0, 300_000, 4);
      try {
        run(
            dataDir.resolve("datasets"),
            judge,
            eval,
            () -> {
              publish(List.of(question("sess-judged", "3.0.0", 150)));
              awaitTrue("the judge call in flight", () -> llm.calls() == 1);

              EvalMetrics turn =
                  awaitMetrics(eval, "acme/helper/3.0.0", m -> m.turns() == 1, "the turn");
              assertThat(turn.successRate()).isEqualTo(1.0);
              assertThat(turn.judged()).as("the judge has not answered").isZero();

              llm.release();
              EvalMetrics verdict =
                  awaitMetrics(eval, "acme/helper/3.0.0", m -> m.judged() == 1, "the verdict");
              assertThat(verdict.judgeMeanScore()).isEqualTo(1.0);
              assertThat(verdict.judgeDegraded()).isZero();
            });
      } finally {
        llm.release();
      }
    }
  }

  private interface Check {
    void run() throws Exception;
  }

  /** Runs the pipeline (real Kafka source, Parquet and dead-letter sinks) while {@code check}. */
  private void run(Path datasets, JudgeConfig judge, CollectingSink<EvalMetrics> eval, Check check)
      throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), 0)) {
      kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ, Topics.EVAL_LIVE);
      bootstrapServers = kafka.bootstrapServers();
      PipelineConfig config =
          new PipelineConfig(
                  kafka.bootstrapServers(),
                  Topics.INTERACTIONS,
                  Topics.INTERACTIONS_DLQ,
                  datasets.toUri().toString(),
                  500,
                  "it-online-eval")
              .withEvalWindow(10_000, 1_000)
              .withJudge(judge);
      Configuration conf = new Configuration();
      conf.setString("rest.bind-port", "0");
      conf.setString("restart-strategy.type", "none");
      StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
      env.enableCheckpointing(500, CheckpointingMode.EXACTLY_ONCE);
      new InteractionPipelineJob(
              InteractionPipelineJob.kafkaSource(config),
              DatasetSinks.parquet(config.output()),
              InteractionPipelineJob.deadLetterSink(config),
              eval,
              config)
          .build(env);
      JobClient job = env.executeAsync("it-online-eval");
      try {
        check.run();
      } finally {
        job.cancel().get(60, TimeUnit.SECONDS);
      }
    }
  }

  /** One producer, one partition: the pipeline sees the events in this order. */
  private void publish(List<Interaction> events) throws Exception {
    try (InteractionPublisher publisher = InteractionPublisher.create(bootstrapServers)) {
      CompletableFuture.allOf(
              events.stream()
                  .map(e -> publisher.publish(e).toCompletableFuture())
                  .toArray(CompletableFuture[]::new))
          .get(30, TimeUnit.SECONDS);
    }
  }

  private static Interaction question(String session, String version, long latencyMs) {
    return Interaction.builder()
        .sessionId(session)
        .tenant("acme")
        .agent("helper", version)
        .message(Message.user("what is the capital of France?"))
        .message(Message.assistant("Paris is the capital of France."))
        .latencyMs(latencyMs)
        .build();
  }

  /** The first window of series {@code key} (tenant/agent/version) that satisfies {@code test}. */
  private static EvalMetrics awaitMetrics(
      CollectingSink<EvalMetrics> eval, String key, Predicate<EvalMetrics> test, String what)
      throws InterruptedException {
    List<EvalMetrics> found = new ArrayList<>();
    awaitTrue(
        what + " in the metrics of " + key,
        () -> {
          eval.received().stream()
              .filter(m -> m.key().equals(key) && test.test(m))
              .findFirst()
              .ifPresent(found::add);
          return !found.isEmpty();
        });
    return found.get(0);
  }

  private static List<String> sftSessions(Path sft) throws Exception {
    List<String> sessions = new ArrayList<>();
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT session_id FROM read_parquet("
                    + CommittedParquet.list(CommittedParquet.files(sft))
                    + ")")) {
      while (rs.next()) {
        sessions.add(rs.getString(1));
      }
    }
    return sessions;
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
