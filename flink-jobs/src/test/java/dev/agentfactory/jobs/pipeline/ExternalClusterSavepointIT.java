package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.FlinkRestException;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stop with savepoint on a real Flink session cluster (JobManager and TaskManager in their own
 * JVMs) that has no default savepoint directory, as an operator's cluster may well have: Flink
 * refuses a stop that names no directory with a 400 (which the edge used to answer as "no Flink
 * job"), and takes the savepoint into the directory the stop names, as the edge now always does
 * ({@code flink.savepoints.dir}). A job it does not know is a 404 or names {@code
 * FlinkJobNotFoundException}: what the edge answers as 404.
 */
class ExternalClusterSavepointIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(180);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void aClusterWithoutADefaultSavepointDirStopsAJobIntoTheDirectoryTheStopNames() throws Exception {
    Path savepoints = dir.resolve("node-savepoints");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0);
        FlinkSessionCluster flink =
            FlinkSessionCluster.start(dir.resolve("flink"), List.of(), false)) {
      kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ, Topics.EVAL_LIVE);
      FlinkRestClient rest = new FlinkRestClient(flink.restUrl());
      awaitTrue("a TaskManager registered", () -> taskManagers(flink.restUrl()) == 1, flink);
      PipelineConfig config =
          PipelineConfig.fromArgs(
              new String[] {
                "--bootstrap-servers",
                kafka.bootstrapServers(),
                "--output",
                dir.resolve("datasets").toUri().toString(),
                "--checkpoint-interval-ms",
                "1000",
                "--group-id",
                "it-savepoint"
              });
      String jarId =
          rest.uploadJar(JobJar.shaded()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      String jobId =
          rest.runJar(jarId, config.toArgs()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      awaitTrue("job running", () -> "RUNNING".equals(state(rest, jobId)), flink);

      FlinkRestException refused = failure(rest.stopWithSavepoint(jobId));
      assertThat(refused.status()).as(refused.getMessage()).isEqualTo(400);
      assertThat(refused.flinkError())
          .hasValueSatisfying(m -> assertThat(m).contains("targetDirectory"));
      assertThat(state(rest, jobId))
          .as("the refused stop left the job running")
          .isEqualTo("RUNNING");

      FlinkRestClient named = rest.withSavepointDirectory(savepoints.toUri().toString());
      FlinkRestException unknown = failure(named.stopWithSavepoint("0".repeat(32)));
      assertThat(
              unknown.status() == 404
                  || String.valueOf(unknown.getMessage()).contains("FlinkJobNotFoundException"))
          .as("an unknown job is told apart: %s", unknown.getMessage())
          .isTrue();

      String savepoint = stopWhenTasksRun(named, jobId, flink);
      assertThat(
              Path.of(URI.create(savepoint.startsWith("file:") ? savepoint : "file:" + savepoint)))
          .as("the savepoint is in the directory the stop named")
          .startsWith(savepoints);
      assertThat(savepoints).isDirectory();
      try (var dirs = Files.list(savepoints)) {
        assertThat(dirs.filter(d -> Files.isRegularFile(d.resolve("_metadata"))).count())
            .isEqualTo(1);
      }
      awaitTrue("job finished", () -> "FINISHED".equals(state(rest, jobId)), flink);
    }
  }

  /** Retries while Flink says the job's tasks are still starting (it reports RUNNING first). */
  private static String stopWhenTasksRun(
      FlinkRestClient rest, String jobId, FlinkSessionCluster flink) throws Exception {
    Instant deadline = Instant.now().plus(TIMEOUT);
    while (true) {
      try {
        return rest.stopWithSavepoint(jobId).toCompletableFuture().get(120, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!String.valueOf(e.getCause().getMessage()).contains("is not being executed")
            || Instant.now().isAfter(deadline)) {
          throw new AssertionError("stop failed; " + flink.keepLogs("savepoint"), e);
        }
      }
      Object lock = new Object();
      synchronized (lock) {
        lock.wait(500); // a retry interval; the deadline bounds the wait
      }
    }
  }

  private static FlinkRestException failure(java.util.concurrent.CompletionStage<?> call)
      throws InterruptedException {
    try {
      Object value = call.toCompletableFuture().get(60, TimeUnit.SECONDS);
      throw new AssertionError("expected Flink to refuse, got " + value);
    } catch (ExecutionException | CompletionException e) {
      if (e.getCause() instanceof FlinkRestException flink) {
        return flink;
      }
      throw new AssertionError("not a FlinkRestException", e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("Flink did not answer", e);
    }
  }

  private static String state(FlinkRestClient rest, String jobId) {
    return rest.job(jobId).toCompletableFuture().join().state();
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
      if (response.statusCode() != 200) {
        return 0;
      }
      JsonNode tms = JSON.readTree(response.body());
      return tms.path("taskmanagers").size();
    } catch (IOException e) {
      return 0; // not up yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void awaitTrue(String what, BooleanSupplier condition, FlinkSessionCluster flink)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(TIMEOUT);
    Object lock = new Object();
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(
            "timed out waiting for " + what + "; " + flink.keepLogs("savepoint"));
      }
      synchronized (lock) {
        lock.wait(200); // a poll interval; the deadline bounds the wait
      }
    }
  }
}
