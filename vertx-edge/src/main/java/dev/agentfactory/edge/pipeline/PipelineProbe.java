package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.FlinkRestException;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.SavepointLog;
import dev.agentfactory.edge.health.ComponentStatus;
import dev.agentfactory.edge.health.NodeHealth;
import io.vertx.core.WorkerExecutor;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link NodeHealth#FLINK_JOB} component: the pipeline job as Flink reports it, asked on every
 * {@link #probe} without blocking the caller.
 *
 * <pre>{@code
 * PipelineProbe probe =
 *     new PipelineProbe(job, restUrl, Optional.of(savepointLog),
 *         vertx.createSharedWorkerExecutor("af-pipeline-probe", 1), PipelineProbe.NOT_RUNNING_BOUND);
 * vertx.setPeriodic(1000, id -> probe.probe(health));
 * }</pre>
 *
 * <p>States, by the job's state in Flink:
 *
 * <ul>
 *   <li>{@code RUNNING}: {@code UP}.
 *   <li>{@code INITIALIZING}, {@code CREATED} (Flink deploys a job it accepted): {@code DEGRADED},
 *       {@code reason} starting {@code starting:}, for up to {@code notRunningBound} after this
 *       node first saw it so; {@code DOWN} beyond.
 *   <li>{@code RESTARTING} (Flink's restart strategy recovers it from a failover by itself, a
 *       normal transient state): {@code DEGRADED}, {@code reason} starting {@code restarting:},
 *       until {@code notRunningBound} after this node first saw it restarting; {@code DOWN} beyond,
 *       unless it ran steadily (for {@code notRunningBound}) in between. A brief run between two
 *       restarts does not reset that clock: a job that fails over and over (Flink restarts it
 *       without end, each time running for a few seconds) is {@code DOWN} while it restarts once it
 *       did so for longer than the bound, rather than healthy for good.
 *   <li>{@code FAILING}, {@code CANCELLING}: {@code DOWN}. Flink restarts no job from either (a
 *       failover goes from {@code RUNNING} to {@code RESTARTING}); they are the seconds before
 *       {@code FAILED} and {@code CANCELED}, which are {@code DOWN}, so a monitor learns it that
 *       much earlier instead of seeing the node healthy first. Neither is on this platform's own
 *       paths: its stops take a savepoint and end {@code FINISHED}, and the only job it cancels (a
 *       duplicate it submitted at the same moment as another node) is tracked no longer once Flink
 *       took the cancel.
 *   <li>{@code FINISHED}, and any job this node stopped with a savepoint: {@code DEGRADED}, once it
 *       was stopped through this node or another (deliberate: events wait in Kafka until {@code
 *       POST /v1/jobs}).
 *   <li>Other ended states ({@code FAILED}, {@code CANCELED}, {@code SUSPENDED}), and a Flink that
 *       does not answer: {@code DOWN}.
 *   <li>Any other state on the way to running ({@code RECONCILING} after a JobManager failover):
 *       {@code STARTING}.
 * </ul>
 *
 * <p>Readiness does not change with any of these: {@code /ready} leaves the pipeline job out, and a
 * node's start-up waits, as before, until the job runs ({@link #deploying()} stays true while it is
 * deployed or restarting, although {@code /health} counts that healthy).
 *
 * <p>The savepoint a job another node stopped was stopped with comes from the cluster's {@link
 * SavepointLog}: read on {@code worker} until it names the job, then kept; until then the detail
 * has no {@code savepoint}. While it names none (a job stopped in Flink's own UI or CLI is never
 * named) the reads back off ({@link LogBackoff}: 10 s after the first, then twice as long each time
 * up to 5 minutes), and start again at once for the next job that ends so.
 */
public final class PipelineProbe {

  /**
   * How long a job Flink accepted may be deployed ({@code INITIALIZING}, {@code CREATED}), or
   * restart ({@code RESTARTING}) without running steadily, before it counts as {@code DOWN}: as
   * long as a node's start-up waits for it to run. Longer means Flink cannot run it (no free task
   * slots, a JobManager that does not get its TaskManagers) or it fails over and over.
   */
  public static final Duration NOT_RUNNING_BOUND = Duration.ofMinutes(2);

  private static final Logger LOG = LoggerFactory.getLogger(PipelineProbe.class);

  private final PipelineJob job;
  private final URI restUrl;
  private final Optional<SavepointLog> savepointLog;
  private final WorkerExecutor worker;
  private final Duration notRunningBound;
  private final LongSupplier nanoClock;

  /** The job last seen being deployed, and since when; null once seen in any other state. */
  private volatile Since deploying;

  /**
   * The job seen restarting, and since when it was first seen so; null once it ran steadily ({@link
   * #running} for {@link #notRunningBound}), or while no job was seen restarting.
   */
  private volatile Since restarting;

  /** The job last seen running, and since when without a break; null once seen otherwise. */
  private volatile Since running;

  /**
   * Whether the job was last seen being deployed or restarting: not running, although {@code
   * DEGRADED}.
   */
  private volatile boolean notRunningYet;

  /** The entry of the savepoint log that names the job seen stopped last; null if none yet. */
  private volatile SavepointLog.Entry logged;

  /** Whether a question of {@link #probe} is still unanswered. */
  private final AtomicBoolean probing = new AtomicBoolean();

  private final AtomicBoolean reading = new AtomicBoolean();

  /** The last read of the savepoint log: for which job, when, and how long until the next. */
  private volatile LogBackoff lastRead;

  /**
   * @param job the node's pipeline job
   * @param restUrl the Flink cluster's REST address, for the detail
   * @param savepointLog where the nodes record every stop; empty: a job another node stopped is
   *     reported without its savepoint
   * @param worker where the savepoint log is read (it waits for Kafka)
   * @param notRunningBound {@link #NOT_RUNNING_BOUND}; tests use less
   */
  public PipelineProbe(
      PipelineJob job,
      URI restUrl,
      Optional<SavepointLog> savepointLog,
      WorkerExecutor worker,
      Duration notRunningBound) {
    this(job, restUrl, savepointLog, worker, notRunningBound, System::nanoTime);
  }

  /** As above, telling time by {@code nanoClock} (as {@link System#nanoTime()}): for tests. */
  PipelineProbe(
      PipelineJob job,
      URI restUrl,
      Optional<SavepointLog> savepointLog,
      WorkerExecutor worker,
      Duration notRunningBound,
      LongSupplier nanoClock) {
    this.job = job;
    this.restUrl = restUrl;
    this.savepointLog = savepointLog;
    this.worker = worker;
    this.notRunningBound = notRunningBound;
    this.nanoClock = nanoClock;
  }

  /**
   * Asks Flink for the job and reports the component to {@code health} once it answered; does
   * nothing while the last question is still unanswered. One at a time: answers come on the HTTP
   * client's threads, and a late answer (a slow Flink, a request that waits for its timeout) could
   * otherwise overtake a newer one, report a state the job has left and reset the clocks of {@link
   * #status} (a {@code RESTARTING} after the {@code RUNNING} that followed it). Every request of
   * the REST client has a timeout, so an unanswered one ends.
   */
  public void probe(NodeHealth health) {
    if (!probing.compareAndSet(false, true)) {
      return;
    }
    CompletionStage<JobSummary> answer;
    try {
      answer = job.status();
    } catch (RuntimeException e) {
      probing.set(false);
      throw e;
    }
    answer.whenComplete(
        (summary, error) -> {
          ComponentStatus status;
          try {
            status = error != null ? unreachable(error) : status(summary, nanoClock.getAsLong());
          } finally {
            probing.set(false); // before the report: whoever sees it may probe again at once
          }
          health.report(NodeHealth.FLINK_JOB, status);
        });
  }

  /**
   * Whether the job was last seen being deployed or restarting and not yet running: a node's
   * start-up waits until it runs, although {@code /health} counts it healthy meanwhile.
   */
  public boolean deploying() {
    return notRunningYet;
  }

  private ComponentStatus unreachable(Throwable error) {
    Map<String, Object> detail = new LinkedHashMap<>();
    Optional.ofNullable(job.jobId()).ifPresent(id -> detail.put("job_id", id));
    detail.put("rest_url", restUrl.toString());
    Throwable cause = error instanceof CompletionException c ? c.getCause() : error;
    detail.put(
        "reason",
        (cause instanceof FlinkRestException ? "" : "flink unreachable: ")
            + JobsHandler.brief(cause));
    return new ComponentStatus(ComponentStatus.State.DOWN, detail);
  }

  /** The component's state for the job as Flink reported it at {@code now} (nanoTime). */
  ComponentStatus status(JobSummary summary, long now) {
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("job_id", summary.id());
    detail.put("state", summary.state());
    detail.put("rest_url", restUrl.toString());
    if (job.adopted()) {
      detail.put("adopted", "submitted by another node sharing this Flink cluster");
    }
    // the job this node submitted at the same moment as another node, and cancelled at once
    job.cancelledDuplicate().ifPresent(id -> detail.put("cancelled_duplicate", id));
    String state = summary.state();
    if (!"RUNNING".equals(state)) {
      running = null;
    }
    if ("INITIALIZING".equals(state) || "CREATED".equals(state)) {
      notRunningYet = true;
      return deployingStatus(summary, now, detail);
    }
    deploying = null; // running, or on its way to running again or to its end: not being deployed
    if ("RUNNING".equals(state)) {
      notRunningYet = false;
      ranSteadily(summary.id(), now);
      return ComponentStatus.up(detail);
    }
    if ("RESTARTING".equals(state)) {
      notRunningYet = true;
      return restartingStatus(summary, now, detail);
    }
    notRunningYet = false;
    if ("FAILING".equals(state) || "CANCELLING".equals(state)) {
      detail.put(
          "reason",
          "the pipeline job is "
              + state
              + ", on its way to "
              + ("FAILING".equals(state) ? "FAILED" : "CANCELED")
              + " (Flink restarts no job from there); POST /v1/jobs starts it again once it ended");
      return new ComponentStatus(ComponentStatus.State.DOWN, detail);
    }
    if (!summary.isTerminal()) {
      return new ComponentStatus(ComponentStatus.State.STARTING, detail);
    }
    Optional<String> stoppedWith = job.stoppedWith();
    if (stoppedWith.isPresent()) {
      detail.put(
          "reason",
          "stopped with DELETE /v1/jobs; interactions wait in Kafka until POST /v1/jobs starts"
              + " it again");
      detail.put("savepoint", stoppedWith.get());
      return new ComponentStatus(ComponentStatus.State.DEGRADED, detail);
    }
    if (job.stopping(summary.id())) {
      // Flink reports the job FINISHED before the stop's savepoint is recorded
      detail.put(
          "reason",
          "being stopped with DELETE /v1/jobs through this node: its final savepoint is being"
              + " recorded; POST /v1/jobs starts it again");
      return new ComponentStatus(ComponentStatus.State.DEGRADED, detail);
    }
    if ("FINISHED".equals(summary.state())) {
      // The unbounded pipeline finishes only when stopped with a savepoint: by its owner's
      // shutdown or a DELETE on another node, deliberate either way
      detail.put(
          "reason",
          "stopped by another node; this node tracks the next pipeline job once one runs, and"
              + " POST /v1/jobs starts one");
      loggedSavepoint(summary.id(), now).ifPresent(path -> detail.put("savepoint", path));
      return new ComponentStatus(ComponentStatus.State.DEGRADED, detail);
    }
    detail.put(
        "reason", "the pipeline job is " + summary.state() + "; POST /v1/jobs starts it again");
    return new ComponentStatus(ComponentStatus.State.DOWN, detail);
  }

  /**
   * A job being deployed is not down: Flink accepted it and starts its tasks (a few seconds after
   * every {@code POST /v1/jobs} and start). Past {@code notRunningBound} it is, though.
   */
  private ComponentStatus deployingStatus(
      JobSummary summary, long now, Map<String, Object> detail) {
    Since seen = Since.keep(deploying, summary.id(), now);
    deploying = seen;
    long seconds = Duration.ofNanos(now - seen.since()).toSeconds();
    if (now - seen.since() >= notRunningBound.toNanos()) {
      detail.put(
          "reason",
          "the pipeline job has been "
              + summary.state()
              + " for "
              + seconds
              + " s without running: Flink cannot start it (free task slots? the JobManager's log"
              + " says why)");
      return new ComponentStatus(ComponentStatus.State.DOWN, detail);
    }
    detail.put(
        "reason",
        "starting: Flink deploys the pipeline job ("
            + summary.state()
            + " for "
            + seconds
            + " s); interactions wait in Kafka until it runs, DOWN if it does not within "
            + notRunningBound.toSeconds()
            + " s");
    return new ComponentStatus(ComponentStatus.State.DEGRADED, detail);
  }

  /**
   * A job Flink restarts after a failover is not down: its restart strategy recovers it by itself,
   * from its last checkpoint. Past {@code notRunningBound} since this node first saw it restarting
   * without running steadily in between, it is: Flink cannot restart it, or it fails over and over.
   */
  private ComponentStatus restartingStatus(
      JobSummary summary, long now, Map<String, Object> detail) {
    Since seen = Since.keep(restarting, summary.id(), now);
    restarting = seen;
    long seconds = Duration.ofNanos(now - seen.since()).toSeconds();
    if (now - seen.since() >= notRunningBound.toNanos()) {
      detail.put(
          "reason",
          "the pipeline job has been restarting for "
              + seconds
              + " s without running steadily for "
              + notRunningBound.toSeconds()
              + " s: it fails over and over, or Flink cannot restart it (free task slots? the"
              + " JobManager's log and the job's exceptions say why)");
      return new ComponentStatus(ComponentStatus.State.DOWN, detail);
    }
    detail.put(
        "reason",
        "restarting: Flink recovers the pipeline job from a failure by itself (restarting since "
            + seconds
            + " s); interactions wait in Kafka until it runs, DOWN if it does not run steadily"
            + " within "
            + notRunningBound.toSeconds()
            + " s");
    return new ComponentStatus(ComponentStatus.State.DEGRADED, detail);
  }

  /**
   * Notes that {@code jobId} runs at {@code now}; once it has run without a break for {@code
   * notRunningBound}, a restart counts from its own start again.
   */
  private void ranSteadily(String jobId, long now) {
    Since run = Since.keep(running, jobId, now);
    running = run;
    Since restarted = restarting;
    if (restarted != null
        && (!restarted.jobId().equals(jobId) || now - run.since() >= notRunningBound.toNanos())) {
      restarting = null;
    }
  }

  /**
   * The savepoint the log names for {@code jobId}, as last read; reads the log again on {@link
   * #worker} (one read at a time) while it names none, so a later probe reports it: at once for a
   * job not read for before, then as {@link LogBackoff} says. A read that fails (Kafka away) backs
   * off the same way.
   */
  private Optional<String> loggedSavepoint(String jobId, long now) {
    SavepointLog.Entry entry = logged;
    if (entry != null && entry.jobId().equals(jobId)) {
      return Optional.of(entry.path());
    }
    if (savepointLog.isEmpty()) {
      return Optional.empty();
    }
    LogBackoff last = lastRead;
    boolean sameJob = last != null && last.jobId().equals(jobId);
    if ((!sameJob || last.due(now)) && reading.compareAndSet(false, true)) {
      // the read after this one waits longer, unless the log names the job by then
      lastRead = sameJob ? last.next(now) : LogBackoff.first(jobId, now);
      worker
          .executeBlocking(() -> savepointLog.get().entries(PipelineConfig.JOB_NAME), false)
          .onComplete(
              read -> {
                if (read.succeeded()) {
                  lastFor(read.result(), jobId).ifPresent(found -> logged = found);
                } else {
                  LOG.debug(
                      "cannot read the savepoint job {} was stopped with from Kafka yet",
                      jobId,
                      read.cause());
                }
                reading.set(false);
              });
    }
    return Optional.empty();
  }

  /** Whether a read of the savepoint log is in flight: for tests. */
  boolean readingLog() {
    return reading.get();
  }

  private static Optional<SavepointLog.Entry> lastFor(List<SavepointLog.Entry> entries, String id) {
    for (int i = entries.size() - 1; i >= 0; i--) {
      if (entries.get(i).jobId().equals(id)) {
        return Optional.of(entries.get(i));
      }
    }
    return Optional.empty();
  }

  /** A job, and when (nanoTime) it was first seen in some state. */
  private record Since(String jobId, long since) {

    /** {@code seen} if it is of {@code jobId}, else {@code jobId} seen first at {@code now}. */
    static Since keep(Since seen, String jobId, long now) {
      return seen != null && seen.jobId().equals(jobId) ? seen : new Since(jobId, now);
    }
  }
}
