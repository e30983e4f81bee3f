package dev.agentfactory.edge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.FlinkRestException;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.SavepointLog;
import dev.agentfactory.edge.health.ComponentStatus;
import dev.agentfactory.edge.health.NodeHealth;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes sharing one Flink cluster share one pipeline job, against a stand-in for Flink's REST API
 * that records every request: a node whose Flink already runs the pipeline job adopts it instead of
 * submitting a second, leaves it running at its shutdown, and follows the job that replaces it; the
 * node that submitted the job still stops it at its shutdown; of two nodes that submitted at the
 * same moment, the one whose job Flink accepted later cancels it and adopts the other.
 */
class PipelineJobAdoptionIT {

  private static final String OTHER_NODES_JOB = "a".repeat(32);
  private static final String RESUBMITTED_JOB = "b".repeat(32);
  private static final String SUBMITTED_JOB = "c".repeat(32);
  private static final String UNRELATED_JOB = "d".repeat(32);
  private static final String LATER_JOB = "e".repeat(32);

  /** Flink's {@code start-time} of the job this node submits. */
  private static final long SUBMITTED_AT = 1_800_000_000_000L;

  @TempDir Path dir;
  private Vertx vertx;
  private HttpServer flink;

  /** What the stand-in lists at {@code /jobs/overview}. */
  private final List<JobSummary> jobs = new CopyOnWriteArrayList<>();

  /** Every request the stand-in got, as {@code METHOD /path}. */
  private final List<String> requests = new CopyOnWriteArrayList<>();

  /** The body of every {@code POST /jars/{id}/run}. */
  private final List<JsonObject> runs = new CopyOnWriteArrayList<>();

  /** The state a job this node runs is in at first: Flink deploys it before it runs. */
  private volatile String submittedState = "RUNNING";

  /** When set, the next {@code GET /jobs/{id}} is answered once it completes. */
  private final AtomicReference<Promise<Void>> heldJobAnswer = new AtomicReference<>();

  /** When set, the answer that the savepoint of a stop is complete waits until it completes. */
  private final AtomicReference<Promise<Void>> heldSavepointAnswer = new AtomicReference<>();

  /** Jobs another node submitted at the same moment, listed from this node's run on. */
  private final List<JobSummary> submittedWithTheRun = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startStandInFlink() {
    vertx = Vertx.vertx();
    flink =
        vertx
            .createHttpServer()
            .requestHandler(request -> request.body().onSuccess(body -> answer(request, body)))
            .listen(0, "127.0.0.1")
            .await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void aNodeWhoseFlinkRunsAnotherNodesPipelineJobAdoptsItAndSubmitsNone() throws Exception {
    jobs.add(new JobSummary(OTHER_NODES_JOB, PipelineConfig.JOB_NAME, "RUNNING"));
    PipelineJob job = pipelineJob();

    assertThat(job.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS))
        .isEqualTo(OTHER_NODES_JOB);

    assertThat(job.adopted()).isTrue();
    assertThat(job.jobId()).isEqualTo(OTHER_NODES_JOB);
    assertThat(job.status().toCompletableFuture().get(30, TimeUnit.SECONDS).id())
        .isEqualTo(OTHER_NODES_JOB);
    // POST /v1/jobs on this node is refused, naming the running job
    assertThatThrownBy(() -> job.submit().toCompletableFuture().get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(JobAlreadyRunningException.class)
        .hasMessageContaining(OTHER_NODES_JOB);
    assertThat(requests).noneMatch(r -> r.contains("/jars"));
  }

  @Test
  void anAdoptedJobKeepsRunningAtTheAdoptersShutdownButAnExplicitStopStopsIt() throws Exception {
    jobs.add(new JobSummary(OTHER_NODES_JOB, PipelineConfig.JOB_NAME, "RUNNING"));
    PipelineJob job = pipelineJob();
    job.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertThat(job.shutdown().toCompletableFuture().get(30, TimeUnit.SECONDS)).isEmpty();
    assertThat(requests).noneMatch(r -> r.contains("/stop") || r.contains("/savepoints"));

    // DELETE /v1/jobs/{id} on the adopter still stops it
    job.stop(PipelineJob.END_TIMEOUT).toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(requests).contains("POST /jobs/" + OTHER_NODES_JOB + "/stop");
  }

  /**
   * Flink reports a job stopped with a savepoint {@code FINISHED} before the stop has its savepoint
   * and recorded it; a probe in between reported a {@code DELETE /v1/jobs} through this very node
   * as "stopped by another node".
   */
  @Test
  void aJobThisNodeIsStoppingIsNotReportedAsStoppedByAnotherNode() throws Exception {
    jobs.add(new JobSummary(OTHER_NODES_JOB, PipelineConfig.JOB_NAME, "RUNNING"));
    PipelineJob job = pipelineJob();
    job.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Promise<Void> savepointAnswer = Promise.promise();
    heldSavepointAnswer.set(savepointAnswer);

    CompletableFuture<JobStop> stop = job.stop(PipelineJob.END_TIMEOUT).toCompletableFuture();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> requests.stream().anyMatch(r -> r.contains("/savepoints/t1")));
    PipelineProbe probe = probe(job, Optional.empty(), PipelineProbe.NOT_RUNNING_BOUND);
    ComponentStatus meanwhile = probed(probe, new NodeHealth());

    assertThat(meanwhile.detail()).containsEntry("state", "FINISHED");
    assertThat(String.valueOf(meanwhile.detail().get("reason")))
        .doesNotContain("another node")
        .contains("DELETE /v1/jobs through this node");
    savepointAnswer.complete();
    stop.get(30, TimeUnit.SECONDS);
    assertThat(probed(probe, new NodeHealth()).detail())
        .containsEntry("savepoint", dir.resolve("savepoint-1").toString());
  }

  @Test
  void theNodeThatSubmittedThePipelineJobStopsItAtItsShutdown() throws Exception {
    jobs.add(new JobSummary(UNRELATED_JOB, "some-other-job", "RUNNING"));
    PipelineJob job = pipelineJob();

    assertThat(job.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS))
        .isEqualTo(SUBMITTED_JOB);
    assertThat(job.adopted()).isFalse();
    assertThat(requests).anyMatch(r -> r.endsWith("/run"));

    assertThat(job.shutdown().toCompletableFuture().get(30, TimeUnit.SECONDS)).isPresent();
    assertThat(requests).contains("POST /jobs/" + SUBMITTED_JOB + "/stop");
  }

  @Test
  void theNodeThatSubmittedThePipelineJobLeavesItRunningWhenOtherNodesStay() throws Exception {
    PipelineJob job = pipelineJob();
    job.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertThat(
            job.shutdown(PipelineJob.Leaving.OTHERS_STAY)
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS))
        .isEmpty();
    assertThat(requests).noneMatch(r -> r.contains("/stop") || r.startsWith("PATCH"));
    assertThat(dir.resolve("flink/last-savepoint")).doesNotExist();
  }

  @Test
  void anAdopterFollowsThePipelineJobThatReplacedTheOneItAdopted() throws Exception {
    jobs.add(new JobSummary(OTHER_NODES_JOB, PipelineConfig.JOB_NAME, "RUNNING"));
    PipelineJob job = pipelineJob();
    job.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS);

    // the owner restarted: its job stopped, and it submitted a new one
    jobs.set(0, new JobSummary(OTHER_NODES_JOB, PipelineConfig.JOB_NAME, "FINISHED"));
    jobs.add(new JobSummary(RESUBMITTED_JOB, PipelineConfig.JOB_NAME, "RUNNING"));

    JobSummary status = job.status().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(status.id()).isEqualTo(RESUBMITTED_JOB);
    assertThat(status.state()).isEqualTo("RUNNING");
    assertThat(job.jobId()).isEqualTo(RESUBMITTED_JOB);
    assertThat(job.adopted()).isTrue();
  }

  /**
   * The job this node submitted was stopped through another node, and a third submitted the next
   * one (a DELETE and a POST /v1/jobs behind a load balancer): this node tracks that one instead of
   * reporting its ended job for good.
   */
  @Test
  void aSubmitterWhoseJobAnotherNodeStoppedFollowsTheJobSubmittedNext() throws Exception {
    PipelineJob job = pipelineJob();
    job.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS);
    jobs.replaceAll(j -> j.id().equals(SUBMITTED_JOB) ? ended(j, "FINISHED") : j);

    JobSummary ended = job.status().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(ended.id()).isEqualTo(SUBMITTED_JOB);
    assertThat(ended.state()).isEqualTo("FINISHED");
    assertThat(job.adopted()).isFalse();

    jobs.add(new JobSummary(RESUBMITTED_JOB, PipelineConfig.JOB_NAME, "RUNNING"));
    JobSummary next = job.status().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(next.id()).isEqualTo(RESUBMITTED_JOB);
    assertThat(job.jobId()).isEqualTo(RESUBMITTED_JOB);
    assertThat(job.adopted()).isTrue();
    // it is another node's now: this node's shutdown leaves it running
    assertThat(job.shutdown().toCompletableFuture().get(30, TimeUnit.SECONDS)).isEmpty();
    assertThat(requests).noneMatch(r -> r.contains(RESUBMITTED_JOB + "/stop"));
  }

  /**
   * The node that hosts the embedded Flink stops the job on it at its shutdown, with a savepoint,
   * even one submitted through another node: the Flink stops with the node either way, and without
   * the savepoint the next start would resume from an older checkpoint.
   */
  @Test
  void aNodeWhoseFlinkStopsWithItStopsTheJobItAdoptedWithASavepoint() throws Exception {
    jobs.add(new JobSummary(OTHER_NODES_JOB, PipelineConfig.JOB_NAME, "RUNNING"));
    PipelineJob job = pipelineJob();
    job.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertThat(
            job.shutdown(PipelineJob.Leaving.FLINK_STOPS_TOO)
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS))
        .contains(dir.resolve("savepoint-1").toString());
    assertThat(requests).contains("POST /jobs/" + OTHER_NODES_JOB + "/stop");
  }

  /** Flink restarted and forgot the tracked job: the job that runs now is tracked instead. */
  @Test
  void aTrackedJobFlinkNoLongerKnowsIsReplacedByTheOneThatRuns() throws Exception {
    PipelineJob job = pipelineJob();
    job.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS);
    jobs.clear();

    assertThatThrownBy(() -> job.status().toCompletableFuture().get(30, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(FlinkRestException.class)
        .hasMessage(
            "Flink does not know the pipeline job "
                + SUBMITTED_JOB
                + " (it restarted without it) and runs none; POST /v1/jobs starts one");

    jobs.add(new JobSummary(RESUBMITTED_JOB, PipelineConfig.JOB_NAME, "RUNNING"));
    assertThat(job.status().toCompletableFuture().get(30, TimeUnit.SECONDS).id())
        .isEqualTo(RESUBMITTED_JOB);
    assertThat(job.adopted()).isTrue();
  }

  @Test
  void aNodeWhoseJobFlinkAcceptedAfterAnotherNodesCancelsItAndAdoptsTheOther() throws Exception {
    submittedWithTheRun.add(
        new JobSummary(OTHER_NODES_JOB, PipelineConfig.JOB_NAME, "RUNNING", SUBMITTED_AT - 1));
    PipelineJob job = pipelineJob();

    assertThat(job.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS))
        .isEqualTo(OTHER_NODES_JOB);

    assertThat(requests).contains("PATCH /jobs/" + SUBMITTED_JOB + "?mode=cancel");
    assertThat(job.adopted()).isTrue();
    assertThat(job.cancelledDuplicate()).contains(SUBMITTED_JOB);
    assertThat(job.status().toCompletableFuture().get(30, TimeUnit.SECONDS).id())
        .isEqualTo(OTHER_NODES_JOB);
    assertThat(job.shutdown().toCompletableFuture().get(30, TimeUnit.SECONDS)).isEmpty();
    assertThat(requests).noneMatch(r -> r.contains(OTHER_NODES_JOB + "/stop"));
    assertThat(requests).noneMatch(r -> r.startsWith("PATCH /jobs/" + OTHER_NODES_JOB));
  }

  @Test
  void ofTwoJobsAcceptedInTheSameMillisecondTheOneWithTheSmallerIdIsKept() throws Exception {
    submittedWithTheRun.add(
        new JobSummary(OTHER_NODES_JOB, PipelineConfig.JOB_NAME, "RUNNING", SUBMITTED_AT));
    PipelineJob job = pipelineJob();

    assertThat(job.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS))
        .isEqualTo(OTHER_NODES_JOB);
    assertThat(requests).contains("PATCH /jobs/" + SUBMITTED_JOB + "?mode=cancel");
  }

  @Test
  void aNodeWhoseJobFlinkAcceptedFirstKeepsItAndCancelsNothing() throws Exception {
    submittedWithTheRun.add(
        new JobSummary(LATER_JOB, PipelineConfig.JOB_NAME, "RUNNING", SUBMITTED_AT + 1));
    PipelineJob job = pipelineJob();

    assertThat(job.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS))
        .isEqualTo(SUBMITTED_JOB);

    assertThat(job.adopted()).isFalse();
    assertThat(job.cancelledDuplicate()).isEmpty();
    assertThat(requests).anyMatch(r -> r.endsWith("/run")).noneMatch(r -> r.startsWith("PATCH"));
  }

  /**
   * A job stopped through one node and submitted again through another (a {@code DELETE} and a
   * {@code POST /v1/jobs} that a load balancer sent to different nodes) resumes from the savepoint
   * of that stop, which the cluster's record in Kafka names, and not from the older savepoint the
   * second node took itself some time before: that one would rewind the job's offsets and write
   * every row committed since then again. Real Kafka broker.
   */
  @Test
  void aNodeResumesFromTheSavepointAnotherNodeStoppedTheJobWithLast() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0)) {
      SavepointLog log = savepointLogOn(kafka);
      Path second = dir.resolve("second");
      Path ownRecord = second.resolve("flink/last-savepoint");
      Files.createDirectories(ownRecord.getParent());
      Files.writeString(ownRecord, "file:/savepoints/an-older-one-of-the-second-node");
      Files.setLastModifiedTime(ownRecord, FileTime.from(Instant.now().minusSeconds(3600)));

      PipelineJob first = pipelineJob(dir.resolve("first"), log);
      first.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS);
      String stoppedWith = first.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(log.latest(PipelineConfig.JOB_NAME))
          .map(SavepointLog.Entry::path)
          .contains(stoppedWith);

      pipelineJob(second, log).submit().toCompletableFuture().get(30, TimeUnit.SECONDS);

      assertThat(runs).hasSize(2);
      assertThat(runs.get(1).getString("savepointPath")).isEqualTo(stoppedWith);
    }
  }

  /**
   * The job this node tracks was stopped through another node: its health shows the savepoint of
   * that stop, which the cluster's record in Kafka names for the job, as the stopping node's does.
   * Before, only the stopping node's detail had a {@code savepoint}. Real Kafka broker.
   */
  @Test
  void aNodeShowsTheSavepointAnotherNodeStoppedTheTrackedJobWith() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0)) {
      SavepointLog log = savepointLogOn(kafka);
      PipelineJob first = pipelineJob(dir.resolve("first"), log);
      first.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS);
      PipelineJob second = pipelineJob(dir.resolve("second"), log);
      assertThat(second.submitOrAdopt().toCompletableFuture().get(30, TimeUnit.SECONDS))
          .isEqualTo(SUBMITTED_JOB);

      String stoppedWith = first.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);

      NodeHealth health = new NodeHealth();
      PipelineProbe probe = probe(second, Optional.of(log), PipelineProbe.NOT_RUNNING_BOUND);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .untilAsserted(
              () -> {
                probe.probe(health);
                ComponentStatus status = health.snapshot().get(NodeHealth.FLINK_JOB);
                assertThat(status.state()).isEqualTo(ComponentStatus.State.DEGRADED);
                assertThat(status.detail())
                    .containsEntry("job_id", SUBMITTED_JOB)
                    .containsEntry("state", "FINISHED")
                    .containsEntry("savepoint", stoppedWith);
              });
    }
  }

  /**
   * A job Flink accepted and still deploys is starting, not down: {@code /health} stays 200 (the
   * component DEGRADED, saying so), while the node's start-up still waits for it to run. One that
   * stays that way beyond the bound is DOWN.
   */
  @Test
  void aJobFlinkStillDeploysIsStartingNotDownUntilItStaysSoBeyondTheBound() throws Exception {
    submittedState = "CREATED";
    PipelineJob job = pipelineJob();
    job.submit().toCompletableFuture().get(30, TimeUnit.SECONDS);
    NodeHealth health = new NodeHealth();
    PipelineProbe probe = probe(job, Optional.empty(), PipelineProbe.NOT_RUNNING_BOUND);

    ComponentStatus starting = probed(probe, health);
    assertThat(starting.state()).isEqualTo(ComponentStatus.State.DEGRADED);
    assertThat(starting.detail())
        .containsEntry("job_id", SUBMITTED_JOB)
        .containsEntry("state", "CREATED");
    assertThat((String) starting.detail().get("reason")).startsWith("starting:");
    assertThat(starting.isHealthy()).isTrue();
    assertThat(probe.deploying()).isTrue();

    PipelineProbe noPatience = probe(job, Optional.empty(), Duration.ZERO);
    ComponentStatus stuck = probed(noPatience, health);
    assertThat(stuck.state()).isEqualTo(ComponentStatus.State.DOWN);
    assertThat((String) stuck.detail().get("reason")).contains("CREATED", "without running");

    // its tasks run
    jobs.replaceAll(
        j ->
            j.id().equals(SUBMITTED_JOB)
                ? new JobSummary(j.id(), j.name(), "RUNNING", j.startTime())
                : j);
    assertThat(probed(probe, health).state()).isEqualTo(ComponentStatus.State.UP);
    assertThat(probe.deploying()).isFalse();
  }

  /**
   * A node whose embedded Flink wrote the savepoints of stops made through other nodes (into the
   * directory those nodes named) prunes them by the cluster's record in Kafka, as it prunes its
   * own: the newest {@code flink.savepoints.retain} entries and the last are kept, older ones
   * deleted. Before, no node ever deleted them. Real Kafka broker.
   */
  @Test
  void theEmbeddedFlinksNodePrunesTheSavepointsOfStopsThroughOtherNodes() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0)) {
      SavepointLog log = savepointLogOn(kafka);
      Path othersDir = dir.resolve("second/flink/savepoints");
      List<Path> stops = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        Path savepoint = othersDir.resolve("savepoint-aaaaaa-00000000000" + i);
        Files.createDirectories(savepoint);
        Files.writeString(savepoint.resolve("_metadata"), "metadata");
        log.record(
            PipelineConfig.JOB_NAME,
            new SavepointLog.Entry(savepoint.toUri().toString(), Instant.now(), OTHER_NODES_JOB));
        stops.add(savepoint);
      }
      Path unlisted = Files.createDirectories(othersDir.resolve("savepoint-aaaaaa-0000000000ff"));
      Files.writeString(unlisted.resolve("_metadata"), "metadata");
      PipelineJob job =
          TestPipelineJobs.on(
              new FlinkRestClient(URI.create("http://127.0.0.1:" + flink.actualPort())),
              Files.writeString(dir.resolve("pipeline-job.jar"), "not really a jar"),
              dir.resolve("first"),
              Optional.of(log),
              Optional.of(Files.createDirectories(dir.resolve("first/flink/savepoints"))),
              1);
      job.submit().toCompletableFuture().get(30, TimeUnit.SECONDS);

      assertThat(job.pruneEarlierRuns().toCompletableFuture().get(60, TimeUnit.SECONDS)).isTrue();

      assertThat(stops.get(0)).doesNotExist();
      assertThat(stops.get(1)).doesNotExist();
      assertThat(stops.get(2)).as("the log's last entry, resumed from").isDirectory();
      assertThat(unlisted).as("not in the cluster's record").isDirectory();
    }
  }

  /**
   * A job Flink restarts after a failover is healthy ({@code DEGRADED}, {@code restarting:}), not
   * {@code STARTING}: Flink's restart strategy recovers it by itself, and {@code /health} no longer
   * answers 503 meanwhile. The node's start-up still waits for it to run.
   */
  @Test
  void aJobFlinkRestartsIsDegradedNotStarting() throws Exception {
    submittedState = "RESTARTING";
    PipelineJob job = pipelineJob();
    job.submit().toCompletableFuture().get(30, TimeUnit.SECONDS);
    NodeHealth health = new NodeHealth();
    PipelineProbe probe = probe(job, Optional.empty(), PipelineProbe.NOT_RUNNING_BOUND);

    ComponentStatus restarting = probed(probe, health);
    assertThat(restarting.state()).isEqualTo(ComponentStatus.State.DEGRADED);
    assertThat(restarting.detail())
        .containsEntry("job_id", SUBMITTED_JOB)
        .containsEntry("state", "RESTARTING");
    assertThat((String) restarting.detail().get("reason")).startsWith("restarting:");
    assertThat(probe.deploying()).isTrue();

    jobs.replaceAll(j -> j.id().equals(SUBMITTED_JOB) ? ended(j, "RUNNING") : j);
    assertThat(probed(probe, health).state()).isEqualTo(ComponentStatus.State.UP);
    assertThat(probe.deploying()).isFalse();
  }

  /**
   * The probe asks one question at a time: while Flink has not answered, a probe asks nothing, so a
   * late answer ({@code RESTARTING}) cannot overtake a newer one ({@code RUNNING}) and leave the
   * component in a state the job has left. Before, every probe asked, and the answers were reported
   * in the order they came.
   */
  @Test
  void aProbeWhileFlinkHasNotAnsweredTheLastOneAsksNothing() throws Exception {
    PipelineJob job = pipelineJob();
    job.submit().toCompletableFuture().get(30, TimeUnit.SECONDS);
    NodeHealth health = new NodeHealth();
    PipelineProbe probe = probe(job, Optional.empty(), PipelineProbe.NOT_RUNNING_BOUND);
    assertThat(probed(probe, health).state()).isEqualTo(ComponentStatus.State.UP);
    String question = "GET /jobs/" + SUBMITTED_JOB;

    jobs.replaceAll(j -> j.id().equals(SUBMITTED_JOB) ? ended(j, "RESTARTING") : j);
    Promise<Void> late = Promise.promise();
    heldJobAnswer.set(late);
    long asked = requests.stream().filter(question::equals).count();
    probe.probe(health);
    await().atMost(Duration.ofSeconds(30)).until(() -> heldJobAnswer.get() == null);
    jobs.replaceAll(j -> j.id().equals(SUBMITTED_JOB) ? ended(j, "RUNNING") : j);
    probe.probe(health);
    probe.probe(health);

    late.complete();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                "RESTARTING"
                    .equals(health.snapshot().get(NodeHealth.FLINK_JOB).detail().get("state")));
    // the two probes while the answer was held would have been answered before it
    assertThat(requests.stream().filter(question::equals).count()).isEqualTo(asked + 1);
    assertThat(probed(probe, health).state()).isEqualTo(ComponentStatus.State.UP);
  }

  /**
   * The node with the embedded Flink prunes the savepoints of stops through other nodes even when
   * the cluster's record could not be read at first (Kafka away): a later call reads it again, 10 s
   * after the failed read, then twice as long after each further failure, and calls in between read
   * nothing. Before, that pruning counted as done, and those savepoints waited for the next job
   * submission.
   */
  @Test
  void aFailedReadOfTheClusterRecordIsRetriedToPruneTheSavepointsOfOtherNodesStops()
      throws Exception {
    AtomicLong now = new AtomicLong();
    StandInSavepointLog log = new StandInSavepointLog(now::get);
    Path othersDir = dir.resolve("second/flink/savepoints");
    List<Path> stops = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      Path savepoint = othersDir.resolve("savepoint-aaaaaa-00000000000" + i);
      Files.createDirectories(savepoint);
      Files.writeString(savepoint.resolve("_metadata"), "metadata");
      log.record(
          PipelineConfig.JOB_NAME,
          new SavepointLog.Entry(savepoint.toUri().toString(), Instant.now(), OTHER_NODES_JOB));
      stops.add(savepoint);
    }
    PipelineJob job =
        TestPipelineJobs.on(
            new FlinkRestClient(URI.create("http://127.0.0.1:" + flink.actualPort())),
            Files.writeString(dir.resolve("pipeline-job.jar"), "not really a jar"),
            dir.resolve("first"),
            Optional.of(log),
            Optional.of(Files.createDirectories(dir.resolve("first/flink/savepoints"))),
            1,
            now::get);
    job.submit().toCompletableFuture().get(30, TimeUnit.SECONDS);
    log.readAt.clear(); // the submission read it for its resume point
    log.readable = false;

    assertThat(prune(job)).as("the record was not read").isFalse();
    assertThat(stops).allMatch(Files::isDirectory);
    assertThat(prune(job)).isFalse();
    assertThat(log.readAt).as("not due yet: no read").hasSize(1);

    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(prune(job)).isFalse();
    assertThat(log.readAt).hasSize(2);
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(prune(job)).isFalse();
    assertThat(log.readAt).as("the next try waits 20 s").hasSize(2);

    log.readable = true;
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(prune(job)).isTrue();
    assertThat(log.readAt).hasSize(3);
    assertThat(stops.get(0)).doesNotExist();
    assertThat(stops.get(1)).doesNotExist();
    assertThat(stops.get(2)).as("the log's last entry, resumed from").isDirectory();

    now.addAndGet(LogBackoff.MAX.toNanos());
    assertThat(prune(job)).isTrue();
    assertThat(log.readAt).as("done: not read again").hasSize(3);
  }

  private static boolean prune(PipelineJob job) throws Exception {
    return job.pruneEarlierRuns().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** The cluster's record of stops, on {@code kafka}'s new topic. */
  private static SavepointLog savepointLogOn(EmbeddedKafka kafka) throws Exception {
    kafka.createTopics(List.of(SavepointLog.TOPIC));
    return new SavepointLog(kafka.bootstrapServers(), Duration.ofSeconds(30));
  }

  private PipelineProbe probe(PipelineJob job, Optional<SavepointLog> log, Duration bound) {
    return new PipelineProbe(
        job,
        URI.create("http://127.0.0.1:" + flink.actualPort()),
        log,
        vertx.createSharedWorkerExecutor("test-pipeline-probe", 1),
        bound);
  }

  /** Probes once and returns what the probe reported. */
  private static ComponentStatus probed(PipelineProbe probe, NodeHealth health) {
    health.report(NodeHealth.FLINK_JOB, ComponentStatus.starting());
    probe.probe(health);
    // the placeholder has no detail; every report of the probe names the job
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> !health.snapshot().get(NodeHealth.FLINK_JOB).detail().isEmpty());
    return health.snapshot().get(NodeHealth.FLINK_JOB);
  }

  private PipelineJob pipelineJob(Path nodeDir, SavepointLog log) throws Exception {
    return TestPipelineJobs.on(
        new FlinkRestClient(URI.create("http://127.0.0.1:" + flink.actualPort()))
            .withSavepointDirectory(dir.resolve("savepoints").toUri().toString()),
        Files.writeString(dir.resolve("pipeline-job.jar"), "not really a jar"),
        nodeDir,
        Optional.of(log));
  }

  private PipelineJob pipelineJob() throws Exception {
    return TestPipelineJobs.on(
        new FlinkRestClient(URI.create("http://127.0.0.1:" + flink.actualPort()))
            .withSavepointDirectory(dir.resolve("savepoints").toUri().toString()),
        Files.writeString(dir.resolve("pipeline-job.jar"), "not really a jar"),
        dir);
  }

  /**
   * Answers as Flink does: the listed jobs, an upload and run that start {@link #SUBMITTED_JOB}
   * (and lists {@link #submittedWithTheRun} from then on), a cancel that ends a job, and a stop
   * whose savepoint completes at once and ends the job.
   */
  private void answer(HttpServerRequest request, Buffer body) {
    String path = request.path();
    requests.add(request.method() + " " + request.uri());
    JsonObject answer;
    if (request.method() == HttpMethod.PATCH) {
      String id = path.substring("/jobs/".length());
      jobs.replaceAll(j -> j.id().equals(id) ? ended(j, "CANCELED") : j);
      answer = new JsonObject();
    } else if (path.equals("/jobs/overview")) {
      JsonArray listed = new JsonArray();
      jobs.forEach(
          j ->
              listed.add(
                  new JsonObject()
                      .put("jid", j.id())
                      .put("name", j.name())
                      .put("state", j.state())
                      .put("start-time", j.startTime())));
      answer = new JsonObject().put("jobs", listed);
    } else if (path.equals("/jars/upload")) {
      answer = new JsonObject().put("status", "success").put("filename", "/tmp/x_job.jar");
    } else if (path.endsWith("/run")) {
      runs.add(body.length() == 0 ? new JsonObject() : body.toJsonObject());
      jobs.add(
          new JobSummary(SUBMITTED_JOB, PipelineConfig.JOB_NAME, submittedState, SUBMITTED_AT));
      jobs.addAll(submittedWithTheRun);
      answer = new JsonObject().put("jobid", SUBMITTED_JOB);
    } else if (path.endsWith("/stop")) {
      String id = path.split("/")[2];
      jobs.replaceAll(j -> j.id().equals(id) ? ended(j, "FINISHED") : j);
      answer = new JsonObject().put("request-id", "t1");
    } else if (path.endsWith("/savepoints/t1")) {
      answer =
          new JsonObject()
              .put("status", new JsonObject().put("id", "COMPLETED"))
              .put(
                  "operation",
                  new JsonObject().put("location", dir.resolve("savepoint-1").toString()));
      if (answeredLate(heldSavepointAnswer, request, answer)) {
        return;
      }
    } else if (path.endsWith("/checkpoints")) {
      answer =
          new JsonObject()
              .put("latest", new JsonObject().put("completed", new JsonObject().put("id", 1)));
    } else if (path.startsWith("/jobs/")) {
      String id = path.substring("/jobs/".length());
      Optional<JobSummary> known = jobs.stream().filter(j -> j.id().equals(id)).findFirst();
      if (known.isEmpty()) {
        // as Flink answers for a job it does not know (one from before it restarted)
        request
            .response()
            .setStatusCode(404)
            .putHeader("content-type", "application/json")
            .end(
                new JsonObject()
                    .put(
                        "errors",
                        new JsonArray()
                            .add(
                                "org.apache.flink.runtime.rest.NotFoundException: Job "
                                    + id
                                    + " not found\n\tat org.apache.flink.runtime.rest.handler"))
                    .encode());
        return;
      }
      JobSummary job = known.get();
      answer =
          new JsonObject().put("jid", job.id()).put("name", job.name()).put("state", job.state());
      // the state as of the question, answered late
      if (answeredLate(heldJobAnswer, request, answer)) {
        return;
      }
    } else {
      answer = new JsonObject(); // DELETE /jars/{id}
    }
    request.response().putHeader("content-type", "application/json").end(answer.encode());
  }

  /**
   * Whether {@code answer} waits for a promise {@code hold} held (taking it, so only this question
   * waits): answered once it completes.
   */
  private static boolean answeredLate(
      AtomicReference<Promise<Void>> hold, HttpServerRequest request, JsonObject answer) {
    Promise<Void> held = hold.getAndSet(null);
    if (held == null) {
      return false;
    }
    String late = answer.encode();
    held.future()
        .onComplete(
            done -> request.response().putHeader("content-type", "application/json").end(late));
    return true;
  }

  private static JobSummary ended(JobSummary job, String state) {
    return new JobSummary(job.id(), job.name(), state, job.startTime());
  }
}
