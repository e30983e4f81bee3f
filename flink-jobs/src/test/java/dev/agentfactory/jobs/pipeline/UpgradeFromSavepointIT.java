package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upgrade path: the pipeline job of an earlier version (its shaded jar given by the system property
 * {@code af.old.job.jar} or the environment variable {@code AF_OLD_JOB_JAR}; skipped without) runs
 * on a real session cluster, is stopped with a savepoint, and the job jar of this build resumes
 * from that savepoint, first the way the node submits it ({@code allowNonRestoredState=false}),
 * then with {@code allowNonRestoredState=true} onto a copy of the datasets. Each resumed job must
 * run, restore the old job's state (a repeat of an old turn is dropped as a duplicate, so the
 * quality filter's state came along), write every row once, and publish live metrics for the new
 * turns.
 */
class UpgradeFromSavepointIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(180);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int PER_RUN = 30;
  private static final int REPEATS = 5;

  @TempDir Path dir;

  @Test
  void theNewJobResumesFromTheOldJobsSavepoint() throws Exception {
    String old =
        System.getProperty("af.old.job.jar", System.getenv().getOrDefault("AF_OLD_JOB_JAR", ""));
    assumeTrue(
        !old.isBlank() && Files.isRegularFile(Path.of(old)),
        "af.old.job.jar / AF_OLD_JOB_JAR names no jar: " + old);
    Path oldJar = Path.of(old);
    Path newJar = JobJar.shaded();
    Path datasets = dir.resolve("datasets");
    Path copy = dir.resolve("datasets-anrs");
    Path savepoints = dir.resolve("savepoints");

    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0);
        FlinkSessionCluster flink =
            FlinkSessionCluster.start(
                dir.resolve("flink"), List.of("restart-strategy.type: none"), false)) {
      kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ, Topics.EVAL_LIVE);
      FlinkRestClient rest =
          new FlinkRestClient(flink.restUrl())
              .withSavepointDirectory(savepoints.toUri().toString());
      awaitTrue("a TaskManager registered", () -> taskManagers(flink.restUrl()) == 1, flink);

      // the old job: rows, a checkpoint, a stop with savepoint
      String oldJarId = rest.uploadJar(oldJar).toCompletableFuture().get(120, TimeUnit.SECONDS);
      String oldJob =
          rest.runJar(oldJarId, args(kafka, datasets))
              .toCompletableFuture()
              .get(120, TimeUnit.SECONDS);
      awaitTrue("old job running", () -> "RUNNING".equals(state(rest, oldJob)), flink);
      publish(kafka, 0, PER_RUN, "1.0.0", 0);
      awaitRows(datasets, PER_RUN, flink);
      awaitCheckpointAfter(rest, oldJob, 0, flink);
      String savepoint = stopWhenTasksRun(rest, oldJob, flink);
      awaitTrue("old job finished", () -> "FINISHED".equals(state(rest, oldJob)), flink);
      System.out.println("UPGRADE-IT old savepoint: " + savepoint);
      copyTree(datasets, copy);

      String newJarId = rest.uploadJar(newJar).toCompletableFuture().get(120, TimeUnit.SECONDS);

      // A: the new job from the old savepoint as the node asks for it (allowNonRestoredState=false)
      String a = run(flink, newJarId, args(kafka, datasets), savepoint, false);
      awaitRunningOrFail("A (allowNonRestoredState=false)", rest, flink, a);
      assertThat(restoredFrom(flink, a)).as("A restored from").contains(savepoint(savepoint));
      long evalBefore = evalRecords(kafka, "2.0.0");
      publish(kafka, PER_RUN, 2 * PER_RUN, "2.0.0", REPEATS);
      awaitRows(datasets, 2 * PER_RUN, flink);
      long at = rest.latestCompletedCheckpoint(a).toCompletableFuture().join().orElse(0L);
      awaitCheckpointAfter(rest, a, at + 2, flink);
      assertRows("A", datasets);
      awaitTrue("A: eval metrics of 2.0.0", () -> evalRecords(kafka, "2.0.0") > evalBefore, flink);
      assertThat(state(rest, a)).isEqualTo("RUNNING");
      stopWhenTasksRun(rest, a, flink);

      // B: the same old savepoint with allowNonRestoredState=true, onto a copy of the datasets as
      // they were when the old job stopped; the new events are in Kafka already
      String b = run(flink, newJarId, args(kafka, copy), savepoint, true);
      awaitRunningOrFail("B (allowNonRestoredState=true)", rest, flink, b);
      assertThat(restoredFrom(flink, b)).as("B restored from").contains(savepoint(savepoint));
      awaitRows(copy, 2 * PER_RUN, flink);
      long atB = rest.latestCompletedCheckpoint(b).toCompletableFuture().join().orElse(0L);
      awaitCheckpointAfter(rest, b, atB + 2, flink);
      assertRows("B", copy);
      assertThat(state(rest, b)).isEqualTo("RUNNING");
      rest.cancel(b).toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  private static String savepoint(String pointer) {
    String p = pointer.startsWith("file:") ? URI.create(pointer).getPath() : pointer;
    return Path.of(p).getFileName().toString();
  }

  /** Every event once; the repeats of old turns dropped by the restored quality state. */
  private static void assertRows(String run, Path datasets) {
    Path sft = datasets.resolve("sft");
    assertThat(CommittedParquet.count(sft, "SELECT count(*) FROM read_parquet(%s)"))
        .as("%s: sft rows", run)
        .isEqualTo(2 * PER_RUN);
    assertThat(
            CommittedParquet.count(sft, "SELECT count(DISTINCT example_id) FROM read_parquet(%s)"))
        .as("%s: distinct example ids", run)
        .isEqualTo(2 * PER_RUN);
  }

  private static List<String> args(EmbeddedKafka kafka, Path datasets) {
    return new PipelineConfig(
            kafka.bootstrapServers(),
            Topics.INTERACTIONS,
            Topics.INTERACTIONS_DLQ,
            datasets.toUri().toString(),
            1000,
            "it-upgrade")
        .toArgs();
  }

  /** {@code POST /jars/{id}/run} with the savepoint and {@code allowNonRestoredState}. */
  private static String run(
      FlinkSessionCluster flink, String jarId, List<String> args, String savepoint, boolean anrs)
      throws Exception {
    ObjectNode body = JSON.createObjectNode();
    body.putArray("programArgsList")
        .addAll(args.stream().map(JSON.getNodeFactory()::textNode).toList());
    body.put("savepointPath", savepoint);
    body.put("allowNonRestoredState", anrs);
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(flink.restUrl().resolve("/jars/" + jarId + "/run"))
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(120))
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    System.out.println(
        "UPGRADE-IT run anrs=" + anrs + ": " + response.statusCode() + " " + response.body());
    if (response.statusCode() != 200) {
      throw new AssertionError(
          "run with allowNonRestoredState="
              + anrs
              + " refused: "
              + response.statusCode()
              + " "
              + response.body()
              + "\n"
              + flink.keepLogs("upgrade"));
    }
    return JSON.readTree(response.body()).path("jobid").asText();
  }

  private static void awaitRunningOrFail(
      String what, FlinkRestClient rest, FlinkSessionCluster flink, String job)
      throws InterruptedException {
    awaitTrue(
        what + " running or failed",
        () -> {
          String s = state(rest, job);
          return "RUNNING".equals(s) || "FAILED".equals(s);
        },
        flink);
    if ("FAILED".equals(state(rest, job))) {
      throw new AssertionError(
          what
              + " FAILED: "
              + get(flink, "/jobs/" + job + "/exceptions")
              + "\n"
              + flink.keepLogs("upgrade"));
    }
  }

  private static String restoredFrom(FlinkSessionCluster flink, String job)
      throws InterruptedException {
    String[] found = new String[1];
    awaitTrue(
        "restore reported",
        () -> {
          JsonNode restored =
              json(flink, "/jobs/" + job + "/checkpoints").path("latest").path("restored");
          found[0] = restored.path("external_path").asText("");
          return !found[0].isEmpty();
        },
        flink);
    System.out.println("UPGRADE-IT " + job + " restored from " + found[0]);
    return found[0];
  }

  private static void awaitCheckpointAfter(
      FlinkRestClient rest, String job, long id, FlinkSessionCluster flink)
      throws InterruptedException {
    awaitTrue(
        "checkpoint > " + id,
        () -> rest.latestCompletedCheckpoint(job).toCompletableFuture().join().orElse(0L) > id,
        flink);
  }

  /**
   * {@code to - from} new turns of {@code version}, then {@code repeats} turns whose content
   * repeats the first old turns (other sessions): duplicates for the quality filter.
   */
  private static void publish(EmbeddedKafka kafka, int from, int to, String version, int repeats)
      throws Exception {
    try (InteractionPublisher publisher = InteractionPublisher.create(kafka.bootstrapServers())) {
      List<CompletableFuture<?>> sent = new ArrayList<>();
      for (int i = from; i < to; i++) {
        sent.add(
            publisher.publish(command("sess-" + (i % 5), i / 5, version, i)).toCompletableFuture());
      }
      for (int i = 0; i < repeats; i++) {
        sent.add(publisher.publish(command("sess-repeat", i, version, i)).toCompletableFuture());
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }
  }

  private static Interaction command(String session, int turn, String version, int i) {
    return Interaction.sandboxCommand(
        "acme",
        session,
        turn,
        "shell",
        version,
        "echo event-" + i,
        "event-" + i + "\n",
        0,
        Duration.ofMillis(1));
  }

  private static long evalRecords(EmbeddedKafka kafka, String version) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      var partitions =
          consumer.partitionsFor(Topics.EVAL_LIVE).stream()
              .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      var end = consumer.endOffsets(partitions);
      long n = 0;
      Instant deadline = Instant.now().plusSeconds(10);
      while (Instant.now().isBefore(deadline)
          && partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.key() != null && r.key().endsWith("/" + version)) {
            n++;
          }
        }
      }
      return n;
    }
  }

  private static void awaitRows(Path datasets, long rows, FlinkSessionCluster flink)
      throws InterruptedException {
    Path sft = datasets.resolve("sft");
    awaitTrue("" + rows + " sft rows", () -> CommittedParquet.rows(sft) >= rows, flink);
  }

  private static String stopWhenTasksRun(
      FlinkRestClient rest, String jobId, FlinkSessionCluster flink) throws Exception {
    Instant deadline = Instant.now().plus(TIMEOUT);
    while (true) {
      try {
        return rest.stopWithSavepoint(jobId).toCompletableFuture().get(120, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!String.valueOf(e.getCause().getMessage()).contains("is not being executed")
            || Instant.now().isAfter(deadline)) {
          throw new AssertionError("stop failed; " + flink.keepLogs("upgrade"), e);
        }
      }
      Thread.sleep(500);
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : files.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  private static String state(FlinkRestClient rest, String jobId) {
    return rest.job(jobId).toCompletableFuture().join().state();
  }

  private static JsonNode json(FlinkSessionCluster flink, String path) {
    try {
      return JSON.readTree(get(flink, path));
    } catch (IOException e) {
      return JSON.createObjectNode();
    }
  }

  private static String get(FlinkSessionCluster flink, String path) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(flink.restUrl().resolve(path))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
          .body();
    } catch (IOException e) {
      return "(" + e + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int taskManagers(URI base) {
    try {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(base.resolve("/taskmanagers"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200
          ? JSON.readTree(response.body()).path("taskmanagers").size()
          : 0;
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void awaitTrue(String what, BooleanSupplier condition, FlinkSessionCluster flink)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(TIMEOUT);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(
            "timed out waiting for " + what + "; " + flink.keepLogs("upgrade"));
      }
      Thread.sleep(200);
    }
  }
}
