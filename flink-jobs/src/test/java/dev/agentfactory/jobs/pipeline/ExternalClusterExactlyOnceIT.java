package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline job on a real Flink session cluster (JobManager and TaskManager in their own JVMs),
 * submitted through REST exactly as the edge submits it, and exactly-once across a TaskManager
 * killed with SIGKILL in the middle of the stream: every event lands in the committed Parquet files
 * once, none is lost, none is written twice.
 */
class ExternalClusterExactlyOnceIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(180);
  private static final int EVENTS = 400;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void everyEventIsCommittedExactlyOnceAcrossATaskManagerKill() throws Exception {
    Path datasets = dir.resolve("datasets");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0);
        FlinkSessionCluster flink =
            FlinkSessionCluster.start(
                dir.resolve("flink"),
                List.of(
                    "restart-strategy.type: fixed-delay",
                    "restart-strategy.fixed-delay.attempts: 50",
                    "restart-strategy.fixed-delay.delay: 1 s"))) {
      kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ, Topics.EVAL_LIVE);
      FlinkRestClient rest = new FlinkRestClient(flink.restUrl());
      awaitTrue("a TaskManager registered", () -> taskManagers(flink.restUrl()) == 1, flink);

      PipelineConfig config =
          PipelineConfig.fromArgs(
              new String[] {
                "--bootstrap-servers",
                kafka.bootstrapServers(),
                "--output",
                datasets.toUri().toString(),
                "--checkpoint-interval-ms",
                "500",
                "--group-id",
                "it-external"
              });
      String jarId =
          rest.uploadJar(JobJar.shaded()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      String jobId =
          rest.runJar(jarId, config.toArgs()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      awaitTrue("job running", () -> "RUNNING".equals(state(rest, jobId)), flink);

      // Mid-stream by construction, not by timing: a first part committed, a second part published
      // and in flight when the TaskManager dies, the rest published while no TaskManager runs.
      publish(kafka.bootstrapServers(), 0, EVENTS / 2);
      awaitTrue(
          "first rows committed", () -> CommittedParquet.rows(datasets.resolve("sft")) > 0, flink);
      publish(kafka.bootstrapServers(), EVENTS / 2, EVENTS * 3 / 4);
      flink.killTaskManager(0);
      publish(kafka.bootstrapServers(), EVENTS * 3 / 4, EVENTS);
      flink.startTaskManager();

      awaitTrue(
          EVENTS + " rows committed",
          () -> CommittedParquet.rows(datasets.resolve("sft")) >= EVENTS,
          flink);
      // Two more checkpoints: a late duplicate would show up in these commits.
      long completed = completedCheckpoints(flink.restUrl(), jobId);
      awaitTrue(
          "two more checkpoints",
          () -> completedCheckpoints(flink.restUrl(), jobId) >= completed + 2,
          flink);

      assertThat(CommittedParquet.rows(datasets.resolve("sft")))
          .as("rows, no loss and no duplicate")
          .isEqualTo(EVENTS);
      assertThat(distinctCommands(datasets)).as("distinct events").isEqualTo(EVENTS);
      assertThat(failoverCount(flink.restUrl(), jobId))
          .as("the job really failed over after the TaskManager died")
          .isPositive();

      rest.cancel(jobId).toCompletableFuture().get(30, TimeUnit.SECONDS);
      awaitTrue("job cancelled", () -> "CANCELED".equals(state(rest, jobId)), flink);
    }
  }

  /** Events {@code from} (inclusive) to {@code to} (exclusive): distinct sandbox commands. */
  private static void publish(String bootstrap, int from, int to) throws Exception {
    try (InteractionPublisher publisher = InteractionPublisher.create(bootstrap)) {
      List<CompletableFuture<?>> sent = new ArrayList<>();
      for (int i = from; i < to; i++) {
        Interaction event =
            Interaction.sandboxCommand(
                "acme",
                "sess-" + (i % 20),
                i / 20,
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

  private static String state(FlinkRestClient rest, String jobId) {
    JobSummary job = rest.job(jobId).toCompletableFuture().join();
    if ("FAILED".equals(job.state())) {
      throw new AssertionError("job failed: " + job);
    }
    return job.state();
  }

  private static JsonNode getJson(URI base, String path) {
    try {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(base.resolve(path))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
    } catch (IOException e) {
      return null; // not up yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int taskManagers(URI base) {
    JsonNode tms = getJson(base, "/taskmanagers");
    return tms == null ? 0 : tms.path("taskmanagers").size();
  }

  private static long completedCheckpoints(URI base, String jobId) {
    JsonNode cp = getJson(base, "/jobs/" + jobId + "/checkpoints");
    return cp == null ? 0 : cp.path("counts").path("completed").asLong();
  }

  /** Failures in the job's exception history: the TaskManager loss is one. */
  private static int failoverCount(URI base, String jobId) {
    JsonNode ex = getJson(base, "/jobs/" + jobId + "/exceptions");
    return ex == null ? 0 : ex.path("exceptionHistory").path("entries").size();
  }

  /** Distinct tool commands: each event ran its own {@code echo event-<i>}. */
  private static long distinctCommands(Path datasets) {
    return CommittedParquet.count(
        datasets.resolve("sft"),
        "SELECT count(DISTINCT m.unnest.content) FROM read_parquet(%s) t, unnest(t.messages) m"
            + " WHERE m.unnest.content LIKE '%%event-%%' AND m.unnest.role = 'tool'");
  }

  private static void awaitTrue(String what, BooleanSupplier condition, FlinkSessionCluster flink)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(TIMEOUT);
    Object lock = new Object();
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        String log = flink.jobManagerLog();
        throw new AssertionError(
            "timed out waiting for "
                + what
                + "; "
                + flink.keepLogs("exactly-once")
                + "JobManager log tail:\n"
                + log.substring(Math.max(0, log.length() - 4000)));
      }
      synchronized (lock) {
        lock.wait(200); // a poll interval; the deadline bounds the wait
      }
    }
  }
}
