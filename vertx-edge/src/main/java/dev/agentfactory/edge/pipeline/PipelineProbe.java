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
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <p>States: {@code UP} while the job runs; {@code DEGRADED} while Flink deploys a job it accepted
 * ({@code INITIALIZING}, {@code CREATED}: {@code reason} says it is starting), for up to {@code
 * notRunningBound} after this node first saw it so, and once it was stopped with a savepoint,
 * through this node or another (deliberate: events wait in Kafka until {@code POST /v1/jobs});
 * {@code DOWN} when it ended otherwise (failed, cancelled), is still not running after the bound,
 * or Flink does not answer; {@code STARTING} in its other states on the way to running or ending
 * ({@code RESTARTING}, {@code FAILING}, {@code CANCELLING}).
 *
 * <p>The savepoint a job another node stopped was stopped with comes from the cluster's {@link
 * SavepointLog}: read on {@code worker}, at most every {@link #LOG_REFRESH} until it names the job,
 * then kept; until then the detail has no {@code savepoint}.
 */
public final class PipelineProbe {

  /**
   * How long a job Flink accepted may be deployed ({@code INITIALIZING}, {@code CREATED}) before it
   * counts as {@code DOWN}: as long as a node's start-up waits for it to run. Longer means Flink
   * cannot run it (no free task slots, a JobManager that does not get its TaskManagers).
   */
  public static final Duration NOT_RUNNING_BOUND = Duration.ofMinutes(2);

  /** How often the savepoint log is read again while it does not name the stopped job. */
  static final Duration LOG_REFRESH = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(PipelineProbe.class);

  private final PipelineJob job;
  private final URI restUrl;
  private final Optional<SavepointLog> savepointLog;
  private final WorkerExecutor worker;
  private final Duration notRunningBound;

  /** The job last seen being deployed, and since when; null once seen in any other state. */
  private volatile Deploying deploying;

  /** The entry of the savepoint log that names the job seen stopped last; null if none yet. */
  private volatile SavepointLog.Entry logged;

  private final AtomicBoolean reading = new AtomicBoolean();
  private volatile long readAt;
  private volatile String readFor;

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
    this.job = job;
    this.restUrl = restUrl;
    this.savepointLog = savepointLog;
    this.worker = worker;
    this.notRunningBound = notRunningBound;
  }

  /** Asks Flink for the job and reports the component to {@code health} once it answered. */
  public void probe(NodeHealth health) {
    job.status()
        .whenComplete(
            (summary, error) ->
                health.report(
                    NodeHealth.FLINK_JOB,
                    error != null ? unreachable(error) : status(summary, System.nanoTime())));
  }

  /**
   * Whether the job was last seen being deployed and not yet running: a node's start-up waits until
   * it runs, although {@code /health} counts it healthy meanwhile.
   */
  public boolean deploying() {
    return deploying != null;
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
    if ("INITIALIZING".equals(summary.state()) || "CREATED".equals(summary.state())) {
      return deployingStatus(summary, now, detail);
    }
    deploying = null; // running, or on its way to running again or to its end: not being deployed
    if ("RUNNING".equals(summary.state())) {
      return ComponentStatus.up(detail);
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
    if ("FINISHED".equals(summary.state())) {
      // The unbounded pipeline finishes only when stopped with a savepoint: by its owner's
      // shutdown or a DELETE on another node, deliberate either way
      detail.put(
          "reason",
          "stopped by another node; this node tracks the next pipeline job once one runs, and"
              + " POST /v1/jobs starts one");
      loggedSavepoint(summary.id()).ifPresent(path -> detail.put("savepoint", path));
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
    Deploying seen = deploying;
    if (seen == null || !seen.jobId().equals(summary.id())) {
      seen = new Deploying(summary.id(), now);
      deploying = seen;
    }
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
   * The savepoint the log names for {@code jobId}, as last read; reads the log again on {@link
   * #worker} (one read at a time, at most every {@link #LOG_REFRESH}) while it names none, so a
   * later probe reports it.
   */
  private Optional<String> loggedSavepoint(String jobId) {
    SavepointLog.Entry entry = logged;
    if (entry != null && entry.jobId().equals(jobId)) {
      return Optional.of(entry.path());
    }
    if (savepointLog.isEmpty()) {
      return Optional.empty();
    }
    boolean due = !jobId.equals(readFor) || System.nanoTime() - readAt >= LOG_REFRESH.toNanos();
    if (due && reading.compareAndSet(false, true)) {
      readFor = jobId;
      readAt = System.nanoTime();
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

  private static Optional<SavepointLog.Entry> lastFor(List<SavepointLog.Entry> entries, String id) {
    for (int i = entries.size() - 1; i >= 0; i--) {
      if (entries.get(i).jobId().equals(id)) {
        return Optional.of(entries.get(i));
      }
    }
    return Optional.empty();
  }

  private record Deploying(String jobId, long since) {}
}
