package dev.agentfactory.edge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.SavepointLog;
import dev.agentfactory.edge.health.ComponentStatus;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the probe maps the pipeline job's states in Flink to the {@code flink_job} component, and how
 * often it reads the cluster's record of stops, on a clock the test turns: no waiting for the
 * bounds, and no Flink (the states are handed to it as Flink would report them).
 */
class PipelineProbeTest {

  private static final String JOB = "a".repeat(32);
  private static final String NEXT_JOB = "b".repeat(32);
  private static final Duration BOUND = PipelineProbe.NOT_RUNNING_BOUND;

  @TempDir Path dir;
  private Vertx vertx;

  /** The probe's clock, in nanoseconds. */
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private final StandInSavepointLog log = new StandInSavepointLog(now::get);
  private PipelineProbe probe;

  @BeforeEach
  void probe() {
    vertx = Vertx.vertx();
    // never submitted, never asked: status() only reads what this node did with it (nothing)
    PipelineJob job =
        TestPipelineJobs.on(
            new FlinkRestClient(URI.create("http://127.0.0.1:1")),
            dir.resolve("pipeline-job.jar"),
            dir);
    probe =
        new PipelineProbe(
            job,
            URI.create("http://127.0.0.1:1"),
            Optional.of(log),
            vertx.createSharedWorkerExecutor("test-pipeline-probe", 1),
            BOUND,
            now::get);
  }

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /**
   * Flink restarting the job after a failover is a normal, transient state: healthy ({@code
   * DEGRADED}, saying so), not {@code STARTING}, which made {@code /health} answer 503 while Flink
   * recovered by itself. Start-up still waits for it to run ({@link PipelineProbe#deploying()}).
   * Still restarting past the bound, it is {@code DOWN}.
   */
  @Test
  void aRestartingJobIsDegradedUntilItRestartsForLongerThanTheBound() {
    ComponentStatus restarting = at(0, "RESTARTING");
    assertThat(restarting.state()).isEqualTo(ComponentStatus.State.DEGRADED);
    assertThat(restarting.isHealthy()).isTrue();
    assertThat(restarting.detail())
        .containsEntry("job_id", JOB)
        .containsEntry("state", "RESTARTING")
        .containsEntry("rest_url", "http://127.0.0.1:1");
    assertThat((String) restarting.detail().get("reason")).startsWith("restarting:");
    assertThat(probe.deploying()).as("start-up waits until it runs").isTrue();

    assertThat(at(BOUND.toSeconds() - 1, "RESTARTING").state())
        .isEqualTo(ComponentStatus.State.DEGRADED);
    ComponentStatus stuck = at(BOUND.toSeconds(), "RESTARTING");
    assertThat(stuck.state()).isEqualTo(ComponentStatus.State.DOWN);
    assertThat((String) stuck.detail().get("reason"))
        .startsWith("the pipeline job has been restarting for " + BOUND.toSeconds() + " s");

    assertThat(at(BOUND.toSeconds() + 1, "RUNNING").state()).isEqualTo(ComponentStatus.State.UP);
    assertThat(probe.deploying()).isFalse();
  }

  /**
   * Flink restarts a job that fails over and over without end, each time running for a few seconds:
   * those runs do not make it healthy for good; once it restarted for longer than the bound without
   * running steadily in between, it is {@code DOWN} while restarting. A job that ran steadily for
   * the bound restarts with a clock of its own again.
   */
  @Test
  void aJobThatFailsOverAndOverIsDownOnceItRestartedForLongerThanTheBound() {
    assertThat(at(0, "RESTARTING").state()).isEqualTo(ComponentStatus.State.DEGRADED);
    assertThat(at(5, "RUNNING").state()).isEqualTo(ComponentStatus.State.UP);
    assertThat(at(60, "RESTARTING").state()).isEqualTo(ComponentStatus.State.DEGRADED);
    assertThat(at(65, "RUNNING").state()).isEqualTo(ComponentStatus.State.UP);
    assertThat(at(BOUND.toSeconds() + 5, "RESTARTING").state())
        .isEqualTo(ComponentStatus.State.DOWN);

    long ran = BOUND.toSeconds() + 10;
    assertThat(at(ran, "RUNNING").state()).isEqualTo(ComponentStatus.State.UP);
    assertThat(at(ran + BOUND.toSeconds(), "RUNNING").state()).isEqualTo(ComponentStatus.State.UP);
    ComponentStatus again = at(ran + BOUND.toSeconds() + 30, "RESTARTING");
    assertThat(again.state()).isEqualTo(ComponentStatus.State.DEGRADED);
    assertThat((String) again.detail().get("reason")).contains("restarting since 0 s");
  }

  /** Another job's restart is not the earlier one's: its own clock. */
  @Test
  void anotherJobsRestartCountsFromItsOwnStart() {
    at(0, "RESTARTING");
    assertThat(status(NEXT_JOB, BOUND.toSeconds(), "RESTARTING").state())
        .isEqualTo(ComponentStatus.State.DEGRADED);
  }

  /**
   * {@code FAILING} and {@code CANCELLING} lead only to {@code FAILED} and {@code CANCELED} (a
   * failover goes through {@code RESTARTING}), which are {@code DOWN}: so are they, saying where it
   * goes. Before, they were {@code STARTING}.
   */
  @Test
  void aFailingOrCancellingJobIsDownOnItsWayToItsEnd() {
    ComponentStatus failing = at(0, "FAILING");
    assertThat(failing.state()).isEqualTo(ComponentStatus.State.DOWN);
    assertThat((String) failing.detail().get("reason"))
        .contains("FAILING", "on its way to FAILED", "POST /v1/jobs");
    assertThat(probe.deploying()).isFalse();

    ComponentStatus cancelling = at(1, "CANCELLING");
    assertThat(cancelling.state()).isEqualTo(ComponentStatus.State.DOWN);
    assertThat((String) cancelling.detail().get("reason")).contains("on its way to CANCELED");

    assertThat(at(2, "FAILED").state()).isEqualTo(ComponentStatus.State.DOWN);
  }

  /** The states this change leaves alone. */
  @Test
  void theOtherStatesAreAsBefore() {
    assertThat(at(0, "CREATED").state()).isEqualTo(ComponentStatus.State.DEGRADED);
    assertThat((String) at(1, "INITIALIZING").detail().get("reason")).startsWith("starting:");
    assertThat(probe.deploying()).isTrue();
    assertThat(at(BOUND.toSeconds(), "CREATED").state()).isEqualTo(ComponentStatus.State.DOWN);
    assertThat(at(BOUND.toSeconds() + 1, "RECONCILING").state())
        .isEqualTo(ComponentStatus.State.STARTING);
    assertThat(probe.deploying()).isFalse();
    assertThat(at(BOUND.toSeconds() + 2, "CANCELED").state()).isEqualTo(ComponentStatus.State.DOWN);
  }

  /**
   * A job stopped outside the platform (Flink's UI or CLI) is never named in the cluster's record:
   * the probe reads it less and less often (10 s after the first read, then 20, 40, … up to 5
   * minutes), not every 10 s for as long as that job is the one tracked, each read a new Kafka
   * consumer. The next job that ends so is read for at once, and backed off from 10 s again; once
   * the record names it, it is not read again.
   */
  @Test
  void theRecordIsReadLessAndLessOftenWhileItDoesNotNameTheStoppedJob() {
    for (long second = 0; second <= 1300; second++) {
      probeFinished(JOB, second);
    }
    // 10, 20, 40, 80, 160 s apart, then every 300 s: 9 reads in 1300 s, where every 10 s made 131
    assertThat(readSeconds()).containsExactly(0L, 10L, 30L, 70L, 150L, 310L, 610L, 910L, 1210L);

    // the next tracked job that ends without an entry: read at once, then 10 s later
    probeFinished(NEXT_JOB, 1301);
    probeFinished(NEXT_JOB, 1310);
    log.entries.add(new SavepointLog.Entry("file:/savepoints/next", Instant.now(), NEXT_JOB));
    probeFinished(NEXT_JOB, 1311);
    assertThat(readSeconds().subList(9, readSeconds().size())).containsExactly(1301L, 1311L);

    for (long second = 1312; second <= 2000; second++) {
      assertThat(probeFinished(NEXT_JOB, second).detail())
          .containsEntry("savepoint", "file:/savepoints/next");
    }
    assertThat(log.readAt).as("named: never read again").hasSize(11);
  }

  /** A record Kafka does not serve is read no more often than one that does not name the job. */
  @Test
  void aRecordThatCannotBeReadIsReadLessAndLessOftenToo() {
    log.readable = false;
    for (long second = 0; second <= 400; second++) {
      probeFinished(JOB, second);
    }
    assertThat(readSeconds()).containsExactly(0L, 10L, 30L, 70L, 150L, 310L);
  }

  /** What the probe reports for {@link #JOB} in {@code state} {@code seconds} into the test. */
  private ComponentStatus at(long seconds, String state) {
    return status(JOB, seconds, state);
  }

  private ComponentStatus status(String job, long seconds, String state) {
    now.set(1_000_000_000L + Duration.ofSeconds(seconds).toNanos());
    return probe.status(new JobSummary(job, PipelineConfig.JOB_NAME, state), now.get());
  }

  /**
   * Reports {@code job} ended ({@code FINISHED}, stopped by no DELETE through this node) {@code
   * seconds} into the test, and waits for the read of the record it may have started, so the next
   * call sees its outcome.
   */
  private ComponentStatus probeFinished(String job, long seconds) {
    ComponentStatus status = status(job, seconds, "FINISHED");
    assertThat(status.state()).isEqualTo(ComponentStatus.State.DEGRADED);
    if (probe.readingLog()) {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(1))
          .until(() -> !probe.readingLog());
    }
    return status;
  }

  /** When the record was read, in seconds into the test. */
  private List<Long> readSeconds() {
    return log.readAt.stream()
        .map(nanos -> Duration.ofNanos(nanos - 1_000_000_000L).toSeconds())
        .toList();
  }
}
