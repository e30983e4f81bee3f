package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.connectors.flink.JudgeConfig;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.SavepointLog;
import dev.agentfactory.connectors.kafka.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The interaction pipeline job on a Flink cluster, driven through Flink's REST API only: the same
 * path for the embedded MiniCluster and for an external session cluster.
 */
public final class PipelineJob {

  private static final Logger LOG = LoggerFactory.getLogger(PipelineJob.class);

  /**
   * How long {@link #stop()} (and {@code DELETE /v1/jobs/{id}}) waits, once the savepoint
   * completed, for Flink to report the job ended. It ends a moment after its savepoint; waiting
   * means a submission right after the stop finds it ended instead of refusing with 409.
   */
  public static final Duration END_TIMEOUT = Duration.ofSeconds(30);

  private final FlinkRestClient rest;
  private final PipelineJar jar;
  private final SavepointRecord savepoints;
  private final EarlierRuns earlierRuns;
  private final Optional<Path> checkpointsDir;
  private final FirstJobWins firstJobWins;
  private final TrackedJobStatus status;
  private volatile String jobId;

  /** Whether {@link #jobId} is a job another node submitted to the shared cluster. */
  private volatile boolean adopted;

  private final AtomicBoolean submitting = new AtomicBoolean();
  private volatile String resumedFrom;
  private volatile String stoppedWith;

  /**
   * The job a {@link #stop} of this node is stopping, until its savepoint is recorded ({@link
   * #stoppedWith}) or the stop failed: Flink reports it {@code FINISHED} before that.
   */
  private volatile String stopping;

  /** The job this node submitted and cancelled because an earlier one was submitted with it. */
  private volatile String cancelledDuplicate;

  /**
   * @param rest the Flink cluster
   * @param jar the shaded pipeline job jar
   * @param bootstrapServers where the job reads interactions from
   * @param datasetsDir where the job writes Parquet datasets
   * @param checkpointIntervalMs how often files are committed
   * @param judge the LLM judge settings (off: {@link JudgeConfig#off()})
   * @param savepointFile where the path of the last stop's savepoint is kept, to resume from
   * @param checkpointsDir the cluster's checkpoint directory when this node can read it (the
   *     embedded cluster), to resume from the last checkpoint an earlier run retained when that is
   *     newer than the savepoint (after a crash); empty for an external cluster
   * @param savepointsDir the cluster's savepoint directory when this node owns it (the embedded
   *     cluster), whose {@code savepoint-*} directories it deletes beyond the newest {@code
   *     savepointsRetained}; empty for an external cluster, whose savepoints are never deleted
   * @param savepointsRetained how many savepoints to keep in {@code savepointsDir}, at least 1
   * @param savepointLog the cluster's record of where the job stopped last: every stop appends its
   *     savepoint to it, and a submission resumes from its last entry when that is newer than this
   *     node's own record ({@code savepointFile}), so a job another node stopped later is not
   *     rewound to an older savepoint of this node's; empty to rely on {@code savepointFile} alone
   */
  public PipelineJob(
      FlinkRestClient rest,
      Path jar,
      Path savepointFile,
      Optional<Path> checkpointsDir,
      Optional<Path> savepointsDir,
      int savepointsRetained,
      String bootstrapServers,
      Path datasetsDir,
      int checkpointIntervalMs,
      JudgeConfig judge,
      Optional<SavepointLog> savepointLog) {
    this.rest = rest;
    this.checkpointsDir = checkpointsDir;
    this.firstJobWins = new FirstJobWins(rest, this);
    this.status = new TrackedJobStatus(rest, this);
    this.savepoints = new SavepointRecord(savepointFile, savepointLog);
    this.earlierRuns =
        new EarlierRuns(
            rest,
            savepoints,
            checkpointsDir,
            savepointsDir,
            savepointsRetained,
            () -> this.jobId,
            submitting::get);
    this.jar =
        new PipelineJar(
            rest,
            jar,
            new PipelineConfig(
                    bootstrapServers,
                    Topics.INTERACTIONS,
                    Topics.INTERACTIONS_DLQ,
                    datasetsDir.toString(),
                    checkpointIntervalMs,
                    PipelineConfig.DEFAULT_GROUP_ID)
                .withJudge(judge)
                .toArgs());
  }

  /** Tells time by {@code nanoClock} (as {@link System#nanoTime()}) from now on: for tests. */
  PipelineJob tellingTimeBy(LongSupplier nanoClock) {
    earlierRuns.tellTimeBy(nanoClock);
    return this;
  }

  /**
   * Uploads the jar and runs it, resuming from the newest readable one of the savepoint of the last
   * clean stop and the checkpoints earlier runs retained (a crashed run's state is in its last
   * checkpoint, not in the older savepoint it started from; see {@link ResumePoint} for what is
   * skipped and what is taken instead); completes with the job id once Flink accepted the job. The
   * uploaded jar is deleted from the cluster once the run is accepted or refused: Flink keeps what
   * the job needs in its blob store, and every submission would otherwise leave the whole shaded
   * jar behind.
   *
   * <p>At most one pipeline job at a time on the cluster, whichever node submitted it: a second one
   * would read the same consumer group and every event again, so every row twice and every judge
   * call twice. Fails with {@link JobAlreadyRunningException} while another submission is in flight
   * or Flink lists a pipeline job ({@link PipelineConfig#JOB_NAME}) not in a terminal state; one
   * that another node submitted is adopted then ({@link #adopted()}): its id is tracked from then
   * on. Fails with the failure of the job list read when Flink cannot confirm that (nothing is
   * submitted then); with {@link PipelineJarMissingException} without the jar.
   *
   * <p>Two nodes starting at the same moment can both find none and both submit: right after its
   * job is accepted a node therefore looks again, and cancels its own job if another one was
   * submitted first ({@link #cancelledDuplicate()}), adopting that one and failing with {@link
   * JobAlreadyRunningException} naming it.
   */
  public CompletionStage<String> submit() {
    if (!Files.isRegularFile(jar.path())) {
      return CompletableFuture.failedFuture(new PipelineJarMissingException(jar.path()));
    }
    if (!submitting.compareAndSet(false, true)) {
      return CompletableFuture.failedFuture(
          new JobAlreadyRunningException(null, "being submitted"));
    }
    CompletionStage<String> submitted;
    try {
      submitted =
          firstJobWins
              .requireNoneRunning()
              .thenCompose(ignored -> uploadAndRun())
              .thenCompose(firstJobWins::giveWayToAnEarlierOne);
    } catch (RuntimeException e) {
      submitted = CompletableFuture.failedFuture(e);
    }
    // jobId is set before the flag clears: the next submission sees the new job
    return submitted.whenComplete((id, e) -> submitting.set(false));
  }

  /**
   * The job this node submitted last and cancelled at once because another node had submitted one
   * first, at the same moment; empty if that never happened.
   */
  public Optional<String> cancelledDuplicate() {
    return Optional.ofNullable(cancelledDuplicate);
  }

  /**
   * Tracks {@code running}, the pipeline job Flink lists, instead of {@code tracked}; as adopted
   * when it is not the job this node submitted last. Does nothing if another thread changed the
   * tracked job meanwhile (a submission).
   */
  synchronized void follow(String tracked, String running) {
    if (running.equals(jobId) || !Objects.equals(tracked, jobId)) {
      return;
    }
    LOG.info(
        "the pipeline job {} another node submitted runs on Flink: this node tracks it and"
            + " submits none",
        running);
    jobId = running;
    adopted = true;
    stoppedWith = null;
    resumedFrom = null;
  }

  /**
   * This node cancelled {@code submitted}, its own job, because {@code winner} was submitted first
   * at the same moment: tracks the winner instead.
   */
  void gaveWay(String submitted, String winner) {
    cancelledDuplicate = submitted;
    follow(submitted, winner);
  }

  /** Whether a {@link #submit()} of this node is in flight. */
  boolean submittingNow() {
    return submitting.get();
  }

  /**
   * At the node's start: {@link #submit()}, or, when a pipeline job another node submitted to the
   * shared Flink cluster already runs, adopts that one ({@link #adopted()}) instead of submitting a
   * second. Completes with the id of the job submitted or adopted.
   */
  public CompletionStage<String> submitOrAdopt() {
    return submit()
        .exceptionallyCompose(
            e -> {
              Throwable cause = e instanceof CompletionException c ? c.getCause() : e;
              if (cause instanceof JobAlreadyRunningException running
                  && adopted
                  && running.jobId().equals(Optional.ofNullable(jobId))) {
                return CompletableFuture.completedFuture(jobId);
              }
              return CompletableFuture.failedFuture(cause);
            });
  }

  /**
   * Whether the tracked job is one another node submitted to the shared Flink cluster, found
   * running at {@link #submit()}: this node's shutdown leaves it running unless its Flink stops
   * with it ({@link #shutdown(Leaving)}).
   */
  public boolean adopted() {
    return adopted;
  }

  private CompletionStage<String> uploadAndRun() {
    // reading the cluster's record may wait for Kafka: not on the HTTP client's thread, and not
    // on the JDK's default pool, whose threads (a new one per task on a host with 2 CPUs or
    // fewer) show in the log as Thread-N next to what this logs. The upload starts on the same
    // thread: chained after it with thenCompose, it ran on the caller's thread whenever the
    // choice was made before the chaining (CI saw the upload sent from Thread-444)
    return CompletableFuture.supplyAsync(
            () -> uploadAndRun(ResumePoint.choose(savepoints.newest(), checkpointsDir)),
            threadNamed("af-pipeline-resume-point"))
        .thenCompose(Function.identity());
  }

  /**
   * Runs each task on a daemon thread of its own with this name: for work done once per submission
   * that may wait for Kafka and logs (the choice of a resume point, the pruning of savepoints).
   */
  static Executor threadNamed(String name) {
    return task -> {
      Thread thread = new Thread(task, name);
      thread.setDaemon(true);
      thread.start();
    };
  }

  private CompletionStage<String> uploadAndRun(Optional<String> savepoint) {
    return jar.uploadAndRun(
        savepoint,
        () -> resumedFrom = null,
        run -> {
          resumedFrom = run.resumedFrom().orElse(null);
          jobId = run.jobId();
          adopted = false;
          stoppedWith = null;
          cancelledDuplicate = null;
          return run.jobId();
        });
  }

  /**
   * The savepoint or retained checkpoint the running job was started from; empty when it started
   * without one, including when resuming failed and it started from the committed offsets.
   */
  public Optional<String> resumedFrom() {
    return Optional.ofNullable(resumedFrom);
  }

  /**
   * The job's state as Flink reports it; fails if it was never submitted. A tracked job that ended
   * is replaced by the pipeline job Flink lists as running, if one is, which is tracked from then
   * on as adopted: another node submitted it after this one's ended (its owner restarted, or a
   * {@code DELETE /v1/jobs/{id}} and a {@code POST} went to other nodes), and this node would
   * otherwise report the ended one for good.
   */
  public CompletionStage<JobSummary> status() {
    return status.read();
  }

  /**
   * {@link #stop(Duration)} waiting {@link #END_TIMEOUT}; completes with the savepoint path (null
   * if the job was never submitted).
   */
  public CompletionStage<String> stop() {
    return stop(END_TIMEOUT).thenApply(JobStop::savepoint);
  }

  /**
   * Stops the job with a final savepoint, so every file written so far is committed; completes once
   * the savepoint path is recorded for the next start, the savepoints beyond the newest {@code
   * savepointsRetained} are deleted (the one just taken is newer than any the job resumed from),
   * and Flink reports the job ended, or {@code endWait} passed without that ({@link
   * JobStop#ended()} false, logged; a {@link #submit()} then refuses until it has). Completes at
   * once if the job was never submitted.
   */
  public CompletionStage<JobStop> stop(Duration endWait) {
    String id = jobId;
    if (id == null) {
      return CompletableFuture.completedFuture(new JobStop(null, true));
    }
    stopping = id;
    return rest.stopWithSavepoint(id)
        .thenApply(
            path -> {
              savepoints.recordStop(id, path);
              earlierRuns.pruneSavepoints(path);
              if (id.equals(jobId)) {
                stoppedWith = path;
              }
              return path;
            })
        .whenComplete((path, failed) -> stopping = null)
        .thenCompose(path -> JobStop.awaitEnd(rest, id, path, endWait));
  }

  /**
   * How a node leaves the Flink cluster its pipeline job runs on, for {@link #shutdown(Leaving)}.
   */
  public enum Leaving {
    /**
     * An external Flink cluster that no other member of this node's cluster uses: the job this node
     * submitted is stopped with a final savepoint; one it adopted (from a node outside its cluster)
     * keeps running.
     */
    LAST_NODE,
    /**
     * An external Flink cluster that other members keep using: every job is left running; they
     * track it already, and a stop would pause the cluster's data plane until some node submitted
     * it again.
     */
    OTHERS_STAY,
    /**
     * The embedded Flink, which stops with this node: whatever pipeline job runs on it, submitted
     * here or through another node, is stopped with a final savepoint, so every file is committed
     * and the next start resumes from it rather than from an older checkpoint.
     */
    FLINK_STOPS_TOO
  }

  /** {@link #shutdown(Leaving) shutdown(Leaving.LAST_NODE)}. */
  public CompletionStage<Optional<String>> shutdown() {
    return shutdown(Leaving.LAST_NODE);
  }

  /**
   * The node's shutdown: stops the pipeline job with a final savepoint ({@link #stop()}) or leaves
   * it running, as {@code leaving} says, unless it was stopped already. Completes with the
   * savepoint path, empty when nothing was stopped.
   */
  public CompletionStage<Optional<String>> shutdown(Leaving leaving) {
    if (jobId == null || stoppedWith != null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    if (leaving == Leaving.OTHERS_STAY) {
      LOG.info(
          "leaving the pipeline job {} running for the other nodes sharing its Flink cluster",
          jobId);
      return CompletableFuture.completedFuture(Optional.empty());
    }
    if (!adopted) {
      return stop().thenApply(Optional::ofNullable);
    }
    if (leaving == Leaving.LAST_NODE) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    // adopted, on the Flink that stops with this node: stop the one that runs now, if any
    return status()
        .thenCompose(
            job ->
                job.isTerminal()
                    ? CompletableFuture.completedFuture(Optional.<String>empty())
                    : stop().thenApply(Optional::ofNullable));
  }

  /**
   * The savepoint the job submitted last was stopped with through {@link #stop()}; empty while it
   * runs, and when it ended otherwise (failed, cancelled in Flink's own UI).
   */
  public Optional<String> stoppedWith() {
    return Optional.ofNullable(stoppedWith);
  }

  /**
   * Whether a {@link #stop} of this node is stopping job {@code id} and has not recorded its
   * savepoint yet ({@link #stoppedWith()} is still empty then).
   */
  public boolean stopping(String id) {
    return id.equals(stopping);
  }

  public String jobId() {
    return jobId;
  }

  /**
   * Deletes what earlier runs left behind and the running job no longer needs, once it has
   * completed a checkpoint of its own: from then on a crash resumes from that one (a restore after
   * a restart is not claimed: its first checkpoint is complete in itself), and without this every
   * run of the node leaves some behind.
   *
   * <ul>
   *   <li>the checkpoints earlier runs retained ({@code <checkpoints>/<job id>/}), except those of
   *       jobs Flink still lists as not finished;
   *   <li>the savepoints beyond the newest {@code savepointsRetained} ({@code
   *       <savepoints>/savepoint-*}), never the one recorded for the next start;
   *   <li>the savepoints of stops through other nodes that the cluster's record lists before its
   *       newest {@code savepointsRetained} entries, never its last.
   * </ul>
   *
   * Runs once for every job submitted (the node's own start and each {@code POST /v1/jobs}), so
   * stop-and-start cycles leave no directories behind either. Never deletes the running job's
   * directory, nor one holding the savepoint recorded for the next start. When the cluster's record
   * cannot be read (Kafka away), the rest is pruned all the same, and the savepoints it lists are
   * pruned by a later call, as {@link LogBackoff} spaces them, until a read succeeds or another job
   * is submitted (whose pruning reads it again). Before, that pruning counted as done, and those
   * savepoints waited for the next submission.
   *
   * <p>Completes with true once pruning ran for the job submitted last (at once when it already
   * had), false while that job has no completed checkpoint yet, a submission is in flight, or the
   * cluster's record was not read yet (call again later: calls before the next try are no-ops), and
   * at once with false without local checkpoint and savepoint directories (an external cluster).
   */
  public CompletionStage<Boolean> pruneEarlierRuns() {
    return earlierRuns.prune();
  }
}
