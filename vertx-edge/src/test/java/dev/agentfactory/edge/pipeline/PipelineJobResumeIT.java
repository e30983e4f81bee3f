package dev.agentfactory.edge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agentfactory.connectors.dataset.version.CommittedFiles;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.flink.EmbeddedFlink;
import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JudgeConfig;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.Topics;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline job restarted on one data directory as the node restarts it, on the embedded Kafka
 * and Flink: after a clean stop it resumes from the savepoint, and after a crash from the
 * checkpoint the crashed run retained, not from the older savepoint, so no committed row is written
 * twice; a checkpoint whose {@code _metadata} is damaged is skipped for the run's previous one; and
 * clean stops leave no more than the configured number of savepoints behind.
 */
class PipelineJobResumeIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final int PER_RUN = 30;

  @TempDir Path dir;

  @Test
  void aCrashedRunResumesFromItsLastCheckpointAndWritesNoRowTwice() throws Exception {
    Path datasets = dir.resolve("datasets");
    Path sft = datasets.resolve("sft");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0)) {
      kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ, Topics.EVAL_LIVE);

      // run 1, stopped cleanly: the savepoint is recorded
      try (EmbeddedFlink flink = startFlink()) {
        PipelineJob job = submit(flink, kafka, datasets);
        assertThat(job.resumedFrom()).isEmpty();
        publish(kafka, 0, PER_RUN);
        awaitRows(sft, PER_RUN);
        job.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }

      // run 2 resumes from that savepoint, commits more rows, then crashes: the cluster goes away
      // with the job running, no savepoint taken
      String savepoint;
      try (EmbeddedFlink flink = startFlink()) {
        PipelineJob job = submit(flink, kafka, datasets);
        savepoint = job.resumedFrom().orElseThrow();
        assertThat(savepoint).contains("savepoint-");
        publish(kafka, PER_RUN, 2 * PER_RUN);
        awaitRows(sft, 2 * PER_RUN);
      }

      // run 3 resumes from run 2's last checkpoint; run 2's rows are not replayed
      try (EmbeddedFlink flink = startFlink()) {
        PipelineJob job = submit(flink, kafka, datasets);
        publish(kafka, 2 * PER_RUN, 3 * PER_RUN);
        awaitRows(sft, 3 * PER_RUN);
        // A replayed run 2 would commit its duplicates alongside: let two more checkpoints pass.
        FlinkRestClient rest = new FlinkRestClient(flink.restUrl());
        long now = latestCheckpoint(rest, job);
        await().atMost(TIMEOUT).until(() -> latestCheckpoint(rest, job) >= now + 2);
        assertThat(query(sft, "SELECT count(*) FROM read_parquet(%s)"))
            .as("rows")
            .isEqualTo(3 * PER_RUN);
        assertThat(query(sft, "SELECT count(DISTINCT example_id) FROM read_parquet(%s)"))
            .as("distinct example ids")
            .isEqualTo(3 * PER_RUN);
        assertThat(job.resumedFrom())
            .as("resumed from a retained checkpoint, not from %s", savepoint)
            .hasValueSatisfying(p -> assertThat(p).contains("/chk-"));

        // with a checkpoint of its own, run 3 no longer needs what runs 1 and 2 left behind
        assertThat(list(flink.checkpointsDir())).hasSizeGreaterThan(1);
        assertThat(job.pruneEarlierRuns().toCompletableFuture().get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(list(flink.checkpointsDir())).containsExactly(job.jobId());
      }
    }
  }

  @Test
  void cleanStopsKeepTheNewestSavepointsAndTheOneTheRunResumedFrom() throws Exception {
    int retain = 2;
    int runs = 3;
    Path datasets = dir.resolve("datasets");
    Path sft = datasets.resolve("sft");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0)) {
      kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ, Topics.EVAL_LIVE);
      String previous = null;
      for (int run = 1; run <= runs; run++) {
        try (EmbeddedFlink flink = startFlink()) {
          PipelineJob job = submit(flink, kafka, datasets, retain);
          FlinkRestClient rest = new FlinkRestClient(flink.restUrl());
          if (previous == null) {
            assertThat(job.resumedFrom()).isEmpty();
          } else {
            assertThat(job.resumedFrom()).as("run %d resumed from", run).hasValue(previous);
          }
          publish(kafka, (run - 1) * PER_RUN, run * PER_RUN);
          awaitRows(sft, (long) run * PER_RUN);
          await().atMost(TIMEOUT).until(() -> latestCheckpoint(rest, job) > 0);

          // with a checkpoint of its own, the run prunes: the savepoint it resumed from stays
          assertThat(job.pruneEarlierRuns().toCompletableFuture().get(30, TimeUnit.SECONDS))
              .isTrue();
          List<String> kept = list(flink.savepointsDir());
          assertThat(kept).as("savepoints while run %d runs", run).hasSizeLessThanOrEqualTo(retain);
          if (previous != null) {
            assertThat(kept).contains(Path.of(URI.create(previous)).getFileName().toString());
          }

          String savepoint = job.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
          kept = list(flink.savepointsDir());
          assertThat(kept)
              .as("savepoints after the clean stop of run %d", run)
              .hasSize(Math.min(run, retain))
              .contains(Path.of(URI.create(savepoint)).getFileName().toString());
          if (previous != null) {
            // retain >= 2: the savepoint this run resumed from is among the newest two
            assertThat(kept).contains(Path.of(URI.create(previous)).getFileName().toString());
          }
          previous = savepoint;
        }
      }
      assertThat(query(sft, "SELECT count(*) FROM read_parquet(%s)"))
          .as("rows")
          .isEqualTo(runs * PER_RUN);
      assertThat(query(sft, "SELECT count(DISTINCT example_id) FROM read_parquet(%s)"))
          .as("distinct example ids")
          .isEqualTo(runs * PER_RUN);
    }
  }

  @Test
  void aDamagedNewestCheckpointIsSkippedForTheRunsPreviousOne() throws Exception {
    Path datasets = dir.resolve("datasets");
    Path sft = datasets.resolve("sft");
    // Two retained checkpoints per job, so a crashed run leaves its last two behind (with one, as
    // the node runs, the older one is left only by a crash right as the newer one completed).
    Map<String, String> twoRetained =
        Map.of("restart-strategy.type", "none", "execution.checkpointing.num-retained", "2");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0)) {
      kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ, Topics.EVAL_LIVE);

      // run 1 commits its rows, checkpoints twice more with nothing new (so its last two
      // checkpoints hold the same offsets), then crashes
      Path runDir;
      try (EmbeddedFlink flink = EmbeddedFlink.start(dir.resolve("flink"), 0, twoRetained)) {
        PipelineJob job = submit(flink, kafka, datasets, 3);
        publish(kafka, 0, PER_RUN);
        awaitRows(sft, PER_RUN);
        FlinkRestClient rest = new FlinkRestClient(flink.restUrl());
        long now = latestCheckpoint(rest, job);
        await().atMost(TIMEOUT).until(() -> latestCheckpoint(rest, job) >= now + 2);
        runDir = flink.checkpointsDir().resolve(job.jobId());
      }

      // the newest checkpoint's _metadata is damaged: cut in half
      List<Path> completed = completedCheckpoints(runDir);
      assertThat(completed).as("completed checkpoints of run 1").hasSizeGreaterThanOrEqualTo(2);
      Path newest = completed.get(completed.size() - 1);
      Path previous = completed.get(completed.size() - 2);
      Path metadata = newest.resolve("_metadata");
      byte[] bytes = Files.readAllBytes(metadata);
      Files.write(metadata, java.util.Arrays.copyOf(bytes, bytes.length / 2));

      // run 2 skips it for run 1's previous checkpoint, and writes no row twice and loses none
      try (EmbeddedFlink flink = EmbeddedFlink.start(dir.resolve("flink"), 0, twoRetained)) {
        PipelineJob job = submit(flink, kafka, datasets, 3);
        assertThat(job.resumedFrom())
            .as("resumed from the checkpoint before the damaged %s", newest)
            .hasValue(previous.toUri().toString());
        publish(kafka, PER_RUN, 2 * PER_RUN);
        awaitRows(sft, 2 * PER_RUN);
        FlinkRestClient rest = new FlinkRestClient(flink.restUrl());
        long now = latestCheckpoint(rest, job);
        await().atMost(TIMEOUT).until(() -> latestCheckpoint(rest, job) >= now + 2);
        assertThat(query(sft, "SELECT count(*) FROM read_parquet(%s)"))
            .as("rows")
            .isEqualTo(2 * PER_RUN);
        assertThat(query(sft, "SELECT count(DISTINCT example_id) FROM read_parquet(%s)"))
            .as("distinct example ids")
            .isEqualTo(2 * PER_RUN);
      }
    }
  }

  /** The {@code chk-<n>} directories with a {@code _metadata}, oldest first. */
  private static List<Path> completedCheckpoints(Path runDir) throws IOException {
    try (Stream<Path> dirs = Files.list(runDir)) {
      return dirs.filter(d -> d.getFileName().toString().startsWith("chk-"))
          .filter(d -> Files.isRegularFile(d.resolve("_metadata")))
          .sorted(
              java.util.Comparator.comparingLong(
                  d -> Long.parseLong(d.getFileName().toString().substring("chk-".length()))))
          .toList();
    }
  }

  /** The names in {@code dir}; none if it does not exist (yet). */
  private static List<String> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).toList();
    }
  }

  private EmbeddedFlink startFlink() {
    return EmbeddedFlink.start(dir.resolve("flink"), 0, Map.of("restart-strategy.type", "none"));
  }

  private PipelineJob submit(EmbeddedFlink flink, EmbeddedKafka kafka, Path datasets)
      throws Exception {
    return submit(flink, kafka, datasets, 3);
  }

  private PipelineJob submit(
      EmbeddedFlink flink, EmbeddedKafka kafka, Path datasets, int savepointsRetained)
      throws Exception {
    String jar = System.getProperty("af.test.pipeline.jar");
    assertThat(jar).as("af.test.pipeline.jar (set by failsafe)").isNotNull();
    FlinkRestClient rest = new FlinkRestClient(flink.restUrl());
    PipelineJob job =
        new PipelineJob(
            rest,
            Path.of(jar),
            dir.resolve("flink/last-savepoint"),
            Optional.of(flink.checkpointsDir()),
            Optional.of(flink.savepointsDir()),
            savepointsRetained,
            kafka.bootstrapServers(),
            datasets,
            500,
            JudgeConfig.off(),
            Optional.empty());
    String id = job.submit().toCompletableFuture().get(120, TimeUnit.SECONDS);
    await()
        .atMost(TIMEOUT)
        .until(() -> rest.job(id).toCompletableFuture().join().state(), "RUNNING"::equals);
    return job;
  }

  private static long latestCheckpoint(FlinkRestClient rest, PipelineJob job) {
    return rest.latestCompletedCheckpoint(job.jobId()).toCompletableFuture().join().orElse(0L);
  }

  /** Events {@code from} (inclusive) to {@code to} (exclusive), each a distinct command. */
  private static void publish(EmbeddedKafka kafka, int from, int to) throws Exception {
    try (InteractionPublisher publisher = InteractionPublisher.create(kafka.bootstrapServers())) {
      List<CompletableFuture<?>> sent = new ArrayList<>();
      for (int i = from; i < to; i++) {
        Interaction event =
            Interaction.sandboxCommand(
                "acme",
                "sess-" + (i % 5),
                i / 5,
                "shell",
                "1.0.0",
                "echo event-" + i,
                "event-" + i + "\n",
                0,
                Duration.ofMillis(1));
        sent.add(publisher.publish(event).toCompletableFuture());
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }
  }

  private static void awaitRows(Path sft, long rows) {
    await()
        .atMost(TIMEOUT)
        .until(() -> query(sft, "SELECT count(*) FROM read_parquet(%s)"), n -> n >= rows);
  }

  /** The number {@code sql} answers over the committed part files; 0 while there are none. */
  private static long query(Path dataset, String sql) throws Exception {
    List<Path> files = CommittedFiles.list(dataset);
    if (files.isEmpty()) {
      return 0;
    }
    String list =
        files.stream().map(p -> "'" + p + "'").collect(Collectors.joining(", ", "[", "]"));
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = duck.createStatement();
        ResultSet rs = st.executeQuery(String.format(sql, list))) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
