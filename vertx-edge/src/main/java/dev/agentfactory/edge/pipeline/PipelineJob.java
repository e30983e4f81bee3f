package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.FlinkRestException;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.connectors.flink.JudgeConfig;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.SavepointLog;
import dev.agentfactory.connectors.kafka.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
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
  private final Path jar;
  private final Path savepointFile;
  private final Optional<Path> checkpointsDir;
  private final Optional<Path> savepointsDir;
  private final int savepointsRetained;
  private final List<String> args;
  private final Optional<SavepointLog> savepointLog;
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

  private volatile String prunedFor;

  /**
   * The job whose pruning could not read the cluster's record ({@link #pruneLoggedSavepoints()}),
   * when it last tried, and how long until it tries again; null when there is nothing to retry.
   */
  private final AtomicReference<LogBackoff> logPruneDue = new AtomicReference<>();

  private final LongSupplier nanoClock;

  /** The job this node submitted and cancelled because an earlier one was submitted with it. */
  private volatile String cancelledDuplicate;

  /**
   * The order in which simultaneous pipeline jobs give way: the first one Flink accepted wins, ties
   * (the same millisecond) broken by the smaller job id, so every node that sees the same two jobs
   * picks the same one.
   */
  private static final Comparator<JobSummary> FIRST_SUBMITTED =
      Comparator.comparingLong(JobSummary::startTime).thenComparing(JobSummary::id);

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
    this(
        rest,
        jar,
        savepointFile,
        checkpointsDir,
        savepointsDir,
        savepointsRetained,
        bootstrapServers,
        datasetsDir,
        checkpointIntervalMs,
        judge,
        savepointLog,
        System::nanoTime);
  }

  /** As above, telling time by {@code nanoClock} (as {@link System#nanoTime()}): for tests. */
  PipelineJob(
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
      Optional<SavepointLog> savepointLog,
      LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
    this.savepointLog = savepointLog;
    this.rest = rest;
    this.jar = jar;
    this.savepointFile = savepointFile;
    this.checkpointsDir = checkpointsDir;
    this.savepointsDir = savepointsDir;
    if (savepointsRetained < 1) {
      throw new IllegalArgumentException("savepointsRetained must be at least 1");
    }
    this.savepointsRetained = savepointsRetained;
    this.args =
        new PipelineConfig(
                bootstrapServers,
                Topics.INTERACTIONS,
                Topics.INTERACTIONS_DLQ,
                datasetsDir.toString(),
                checkpointIntervalMs,
                PipelineConfig.DEFAULT_GROUP_ID)
            .withJudge(judge)
            .toArgs();
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
    if (!Files.isRegularFile(jar)) {
      return CompletableFuture.failedFuture(new PipelineJarMissingException(jar));
    }
    if (!submitting.compareAndSet(false, true)) {
      return CompletableFuture.failedFuture(
          new JobAlreadyRunningException(null, "being submitted"));
    }
    CompletionStage<String> submitted;
    try {
      submitted =
          requireNoneRunning()
              .thenCompose(ignored -> uploadAndRun())
              .thenCompose(this::giveWayToAnEarlierOne);
    } catch (RuntimeException e) {
      submitted = CompletableFuture.failedFuture(e);
    }
    // jobId is set before the flag clears: the next submission sees the new job
    return submitted.whenComplete((id, e) -> submitting.set(false));
  }

  /**
   * Completes once Flink confirmed no pipeline job is in a non-terminal state: neither the one this
   * node submitted last nor one another node sharing the cluster submitted (Flink drops finished
   * jobs after {@code jobstore.expiration-time}, never running ones). A running one that is not
   * this node's is adopted. Asks Flink's current job list, not its cached {@code GET /jobs/{id}},
   * which may say RUNNING for seconds after the job ended.
   */
  private CompletionStage<Void> requireNoneRunning() {
    // A failure to answer propagates: unknown is not free, the job may run, and a second one would
    // write every row twice.
    return rest.runningJob(PipelineConfig.JOB_NAME)
        .thenAccept(
            running -> {
              if (running.isPresent()) {
                follow(jobId, running.get().id());
                throw new JobAlreadyRunningException(running.get().id(), running.get().state());
              }
            });
  }

  /**
   * Completes with {@code submitted} when it is the first of the pipeline jobs Flink lists as not
   * ended ({@link #FIRST_SUBMITTED}); otherwise cancels it, adopts the first, and fails with {@link
   * JobAlreadyRunningException} naming that one. Fails, keeping {@code submitted} tracked (so the
   * node's shutdown still stops it), when Flink does not answer the list or the cancel.
   *
   * <p>Of two jobs submitted at once, the one Flink registered later is always listed with the
   * earlier one, so its node cancels it. Its node may miss the later one, but keeps its own
   * rightly. Only a tie leaves both running: with both registered in the same millisecond the
   * earlier-registered one may hold the larger id, and its node, looking before the other was
   * registered, kept it, while the other node sees it lose the tie and keeps its own too.
   *
   * <p>Why the cancelled job wrote no row: the FileSink commits its files only when a checkpoint
   * completes, and the Kafka source commits the consumer group's offsets only then too; a job
   * cancelled before its first checkpoint leaves hidden in-progress files and no offsets, and the
   * winner reads every event from the offsets committed before either started. Flink triggers the
   * first checkpoint a random delay of up to {@code flink.checkpoint.interval.ms} (2 s by default)
   * after every task runs, and deploying the tasks alone takes longer than one list and one cancel
   * here, so the cancel normally comes first. It is not guaranteed: with a very short interval or a
   * slow Flink answer a checkpoint may complete before, and the rows it committed are then written
   * by both jobs. Dead letters and eval metrics go to Kafka at least once, so the loser may have
   * sent some of them already; both are harmless as duplicates.
   */
  private CompletionStage<String> giveWayToAnEarlierOne(String submitted) {
    return rest.runningJobs(PipelineConfig.JOB_NAME)
        .thenCompose(
            running -> {
              Optional<JobSummary> first = running.stream().min(FIRST_SUBMITTED);
              if (first.isEmpty() || first.get().id().equals(submitted)) {
                return CompletableFuture.completedFuture(submitted);
              }
              JobSummary winner = first.get();
              return rest.cancel(submitted)
                  .thenApply(
                      ignored -> {
                        LOG.warn(
                            "pipeline job {} submitted at the same time as {}: cancelled, adopting"
                                + " {}",
                            submitted,
                            winner.id(),
                            winner.id());
                        cancelledDuplicate = submitted;
                        follow(submitted, winner.id());
                        throw new JobAlreadyRunningException(winner.id(), winner.state());
                      });
            });
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
  private synchronized void follow(String tracked, String running) {
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
    // fewer) show in the log as Thread-N next to what this logs
    return CompletableFuture.supplyAsync(
            () -> ResumePoint.choose(newestSavepoint(), checkpointsDir),
            threadNamed("af-pipeline-resume-point"))
        .thenCompose(this::uploadAndRun);
  }

  /**
   * Runs each task on a daemon thread of its own with this name: for work done once per submission
   * that may wait for Kafka and logs (the choice of a resume point, the pruning of savepoints).
   */
  private static Executor threadNamed(String name) {
    return task -> {
      Thread thread = new Thread(task, name);
      thread.setDaemon(true);
      thread.start();
    };
  }

  private CompletionStage<String> uploadAndRun(Optional<String> savepoint) {
    return rest.uploadJar(jar)
        .thenCompose(
            jarId ->
                run(jarId, savepoint)
                    .thenApply(
                        id -> {
                          jobId = id;
                          adopted = false;
                          stoppedWith = null;
                          cancelledDuplicate = null;
                          return id;
                        })
                    .handle(
                        (id, e) ->
                            deleteUploaded(jarId)
                                .thenApply(
                                    ignored -> {
                                      if (e != null) {
                                        throw e instanceof CompletionException c
                                            ? c
                                            : new CompletionException(e);
                                      }
                                      return id;
                                    }))
                    .thenCompose(Function.identity()));
  }

  /** Completes once Flink deleted the jar or refused to; never fails. */
  private CompletionStage<Void> deleteUploaded(String jarId) {
    return rest.deleteJar(jarId)
        .exceptionally(
            e -> {
              // The job runs either way; an embedded cluster's next start deletes the file.
              LOG.warn("cannot delete the uploaded job jar {} from Flink", jarId, e);
              return null;
            });
  }

  private CompletionStage<String> run(String jarId, Optional<String> savepoint) {
    resumedFrom = null;
    if (savepoint.isEmpty()) {
      return rest.runJar(jarId, args);
    }
    LOG.info("resuming the pipeline job from {}", savepoint.get());
    return rest.runJar(jarId, args, savepoint)
        .thenApply(
            id -> {
              resumedFrom = savepoint.get();
              return id;
            })
        .exceptionallyCompose(
            e -> {
              // E.g. it was deleted or the job changed incompatibly. Starting fresh is safe: the
              // source resumes from the consumer group's committed offsets, which each completed
              // checkpoint (and the savepoint) committed together with the files.
              LOG.warn(
                  "cannot resume from {} ({}); starting from committed offsets",
                  savepoint.get(),
                  e.getMessage());
              return rest.runJar(jarId, args);
            });
  }

  /**
   * The savepoint the job was stopped with last, by this node or another: the last entry of the
   * cluster's record in Kafka, unless this node's own record is newer (written while Kafka did not
   * take the entry) or there is no such record; this node's own record when Kafka cannot be read.
   */
  private Optional<String> newestSavepoint() {
    Optional<String> own = lastSavepoint();
    if (savepointLog.isEmpty()) {
      return own;
    }
    Optional<SavepointLog.Entry> logged;
    try {
      logged = savepointLog.get().latest(PipelineConfig.JOB_NAME);
    } catch (RuntimeException e) {
      LOG.warn(
          "cannot read where the pipeline job was stopped last from Kafka ({}); resuming from this"
              + " node's own record",
          e.toString());
      return own;
    }
    if (logged.isEmpty() || own.equals(Optional.of(logged.get().path()))) {
      return own;
    }
    Optional<Instant> ownTime = own.flatMap(ignored -> modified(savepointFile));
    if (ownTime.isPresent() && ownTime.get().isAfter(logged.get().takenAt())) {
      return own;
    }
    LOG.info(
        "the pipeline job was stopped last with {} (job {}, {}), not with this node's {}",
        logged.get().path(),
        logged.get().jobId(),
        logged.get().takenAt(),
        own.orElse("(none)"));
    return Optional.of(logged.get().path());
  }

  private static Optional<Instant> modified(Path file) {
    try {
      return Optional.of(Files.getLastModifiedTime(file).toInstant());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Appends the savepoint {@code id} was stopped with to the cluster's record; never fails. */
  private void recordInKafka(String id, String path) {
    if (savepointLog.isEmpty()) {
      return;
    }
    try {
      savepointLog
          .get()
          .record(PipelineConfig.JOB_NAME, new SavepointLog.Entry(path, Instant.now(), id));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      LOG.warn("savepoint {} not recorded in Kafka: interrupted", path);
    } catch (Exception e) {
      LOG.warn(
          "savepoint {} not recorded in Kafka ({}): another node submitting the job next resumes"
              + " from an older savepoint of its own, and rows committed since then are written"
              + " again",
          path,
          e.toString());
    }
  }

  private Optional<String> lastSavepoint() {
    try {
      return Files.isRegularFile(savepointFile)
          ? Optional.of(Files.readString(savepointFile).trim()).filter(s -> !s.isEmpty())
          : Optional.empty();
    } catch (IOException e) {
      LOG.warn("cannot read {}; starting without a savepoint", savepointFile, e);
      return Optional.empty();
    }
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
    String id = jobId;
    if (id == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("not submitted"));
    }
    if (!adopted) {
      return tracked(id).thenCompose(job -> job.isTerminal() ? successorOf(job) : done(job));
    }
    // Flink's cached GET /jobs/{id} may say RUNNING for seconds after an adopted job ended, and
    // its owner's restart submits the next one at once: the job list says which one runs
    return rest.runningJob(PipelineConfig.JOB_NAME)
        .thenCompose(
            running -> {
              if (running.isEmpty()) {
                return tracked(id); // none runs: say how the tracked one ended
              }
              if (submitting.get() && !running.get().id().equals(id)) {
                // this node's own submission, not yet tracked: it is once Flink accepted it
                return done(running.get());
              }
              follow(id, running.get().id());
              return done(running.get());
            });
  }

  /**
   * The tracked job as Flink reports it. Flink forgets a job when it restarts (an embedded one
   * whose node restarted): the running pipeline job is tracked instead then, if there is one;
   * otherwise fails with a {@link FlinkRestException} (404) that says so in one line.
   */
  private CompletionStage<JobSummary> tracked(String id) {
    return rest.job(id)
        .exceptionallyCompose(
            e -> {
              Throwable cause = e;
              while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
              }
              if (!(cause instanceof FlinkRestException f && f.status() == 404)) {
                return CompletableFuture.failedFuture(cause);
              }
              return rest.runningJob(PipelineConfig.JOB_NAME)
                  .thenApply(
                      running -> {
                        if (running.isEmpty() || submitting.get()) {
                          throw new FlinkRestException(
                              "Flink does not know the pipeline job "
                                  + id
                                  + " (it restarted without it) and runs none; POST /v1/jobs"
                                  + " starts one",
                              404);
                        }
                        follow(id, running.get().id());
                        return running.get();
                      });
            });
  }

  /**
   * The pipeline job that runs instead of {@code ended}, tracked from now on; else {@code ended}.
   */
  private CompletionStage<JobSummary> successorOf(JobSummary ended) {
    return rest.runningJob(PipelineConfig.JOB_NAME)
        .thenApply(
            running -> {
              if (running.isEmpty() || running.get().id().equals(ended.id()) || submitting.get()) {
                return ended; // while this node submits, the running one may be its own
              }
              follow(ended.id(), running.get().id());
              return running.get();
            });
  }

  private static CompletionStage<JobSummary> done(JobSummary job) {
    return CompletableFuture.completedFuture(job);
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
              try {
                Files.createDirectories(savepointFile.getParent());
                Files.writeString(savepointFile, path);
              } catch (IOException e) {
                LOG.warn("savepoint {} taken but not recorded in {}", path, savepointFile, e);
              }
              recordInKafka(id, path);
              pruneSavepoints(path);
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
   *       newest {@code savepointsRetained} entries, never its last ({@link
   *       #pruneLoggedSavepoints()}).
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
    String id = jobId;
    if (id == null || (checkpointsDir.isEmpty() && savepointsDir.isEmpty())) {
      return CompletableFuture.completedFuture(false);
    }
    if (id.equals(prunedFor)) {
      return retryLoggedPrune(id);
    }
    if (submitting.get()) {
      // the next job's checkpoint directory may appear before Flink lists it
      return CompletableFuture.completedFuture(false);
    }
    return rest.latestCompletedCheckpoint(id)
        .thenCompose(
            latest -> {
              if (latest.isEmpty()) {
                return CompletableFuture.completedFuture(false);
              }
              pruneSavepoints(null);
              return pruneLoggedSavepoints()
                  .thenCompose(
                      read -> {
                        // before pruneCheckpoints marks the job pruned: the next call retries
                        logPruneDue.set(read ? null : LogBackoff.first(id, nanoClock.getAsLong()));
                        return pruneCheckpoints(id).thenApply(pruned -> pruned && read);
                      });
            });
  }

  /**
   * For the job {@code id}, pruned but for the savepoints the cluster's record lists: tries those
   * again once due. Completes with true once nothing is left to retry.
   */
  private CompletionStage<Boolean> retryLoggedPrune(String id) {
    LogBackoff due = logPruneDue.get();
    if (due == null || !due.jobId().equals(id)) {
      return CompletableFuture.completedFuture(true);
    }
    if (!due.due(nanoClock.getAsLong())) {
      return CompletableFuture.completedFuture(false);
    }
    return pruneLoggedSavepoints()
        .thenApply(
            read -> {
              // unless a submission's pruning replaced it meanwhile
              logPruneDue.compareAndSet(due, read ? null : due.next(nanoClock.getAsLong()));
              return read;
            });
  }

  private CompletionStage<Boolean> pruneCheckpoints(String id) {
    if (checkpointsDir.isEmpty()) {
      prunedFor = id;
      return CompletableFuture.completedFuture(true);
    }
    return rest.listJobs()
        .thenApply(
            jobs -> {
              if (submitting.get() || !id.equals(jobId)) {
                return false; // another job is being started: prune for that one
              }
              Set<String> keep = new HashSet<>();
              keep.add(id);
              jobs.stream().filter(j -> !j.isTerminal()).forEach(j -> keep.add(j.id()));
              lastSavepoint()
                  .flatMap(ResumePoint::localPath)
                  .map(PipelineJob::normalize)
                  .filter(p -> p.startsWith(normalize(checkpointsDir.get())))
                  .map(p -> normalize(checkpointsDir.get()).relativize(p).getName(0))
                  .ifPresent(p -> keep.add(p.toString()));
              deleteRetainedExcept(checkpointsDir.get(), keep);
              prunedFor = id;
              return true;
            });
  }

  private static void deleteRetainedExcept(Path dir, Set<String> keep) {
    try (Stream<Path> jobs = Files.list(dir)) {
      for (Path job : jobs.filter(Files::isDirectory).toList()) {
        if (!keep.contains(job.getFileName().toString())) {
          LOG.info("deleting checkpoints retained by the earlier run {}", job.getFileName());
          deleteTree(job);
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot prune retained checkpoints in {}", dir, e);
    }
  }

  /**
   * Deletes the completed savepoints ({@code savepoint-*} directories with a {@code _metadata})
   * directly in {@code savepointsDir} beyond the newest {@code savepointsRetained}, by the time of
   * their {@code _metadata}. Kept whatever their age: the one recorded for the next start and
   * {@code alsoKeep}. Directories without {@code _metadata} are left alone: a savepoint may be
   * being taken, and Flink removes one that failed.
   *
   * <p>Only call this once something newer than what the running job resumed from exists (its own
   * checkpoint, or a newer savepoint): with at least one kept, the newest is then never that one
   * alone.
   */
  private void pruneSavepoints(String alsoKeep) {
    if (savepointsDir.isEmpty() || !Files.isDirectory(savepointsDir.get())) {
      return;
    }
    Set<Path> keep = new HashSet<>();
    lastSavepoint().flatMap(ResumePoint::localPath).ifPresent(p -> keep.add(normalize(p)));
    Optional.ofNullable(alsoKeep)
        .flatMap(ResumePoint::localPath)
        .ifPresent(p -> keep.add(normalize(p)));
    List<Map.Entry<Path, FileTime>> savepoints = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(savepointsDir.get())) {
      for (Path dir : dirs.toList()) {
        Path metadata = dir.resolve("_metadata");
        if (dir.getFileName().toString().startsWith("savepoint-")
            && Files.isDirectory(dir)
            && Files.isRegularFile(metadata)) {
          savepoints.add(Map.entry(dir, Files.getLastModifiedTime(metadata)));
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot list the savepoints in {}; none deleted", savepointsDir.get(), e);
      return;
    }
    savepoints.sort(Map.Entry.<Path, FileTime>comparingByValue(Comparator.reverseOrder()));
    for (Map.Entry<Path, FileTime> savepoint :
        savepoints.subList(Math.min(savepointsRetained, savepoints.size()), savepoints.size())) {
      Path dir = savepoint.getKey();
      if (keep.contains(normalize(dir))) {
        continue;
      }
      LOG.info(
          "deleting the savepoint {}: the newest {} are kept (flink.savepoints.retain)",
          dir,
          savepointsRetained);
      try {
        deleteTree(dir);
      } catch (IOException e) {
        LOG.warn("cannot delete the savepoint {}", dir, e);
      }
    }
  }

  /**
   * Deletes the savepoints of stops made through other nodes ({@code DELETE /v1/jobs/{id}} there),
   * which {@link #pruneSavepoints} never sees: they are in the directory those nodes name ({@code
   * flink.savepoints.dir}, by default their own data dir), not in {@code savepointsDir}. Only a
   * node with the embedded Flink has {@code savepointsDir}, and its Flink wrote every one of them,
   * so they are on this machine: the cluster's record ({@link SavepointLog}) lists them. Of its
   * entries the newest {@code savepointsRetained} are kept, and always the last one and the one
   * this node's own record names; of the older ones, every {@code savepoint-<job id prefix>-*}
   * directory with a {@code _metadata} that exists here, outside {@code savepointsDir}, is deleted
   * (anything else, e.g. a path another Flink wrote on another machine, is left alone). Reads Kafka
   * off the caller's thread; never fails: completes with false when the record could not be read
   * (nothing deleted then), true otherwise.
   */
  private CompletionStage<Boolean> pruneLoggedSavepoints() {
    if (savepointsDir.isEmpty() || savepointLog.isEmpty()) {
      return CompletableFuture.completedFuture(true);
    }
    return CompletableFuture.supplyAsync(
        () -> {
          List<SavepointLog.Entry> entries;
          try {
            entries = savepointLog.get().entries(PipelineConfig.JOB_NAME);
          } catch (RuntimeException e) {
            LOG.warn(
                "cannot read the savepoints other nodes stopped with from Kafka ({}); pruning them"
                    + " is tried again later",
                e.toString());
            return false;
          }
          Set<Path> keep = new HashSet<>();
          lastSavepoint().flatMap(ResumePoint::localPath).ifPresent(p -> keep.add(normalize(p)));
          entries.subList(Math.max(0, entries.size() - savepointsRetained), entries.size()).stream()
              .flatMap(e -> ResumePoint.localPath(e.path()).stream())
              .forEach(p -> keep.add(normalize(p)));
          Path own = normalize(savepointsDir.get());
          for (SavepointLog.Entry entry : entries) {
            Optional<Path> dir = ResumePoint.localPath(entry.path()).map(PipelineJob::normalize);
            if (dir.isEmpty() || keep.contains(dir.get()) || dir.get().startsWith(own)) {
              continue;
            }
            String prefix =
                "savepoint-"
                    + entry.jobId().substring(0, Math.min(6, entry.jobId().length()))
                    + "-";
            if (dir.get().getFileName().toString().startsWith(prefix)
                && Files.isRegularFile(dir.get().resolve("_metadata"))) {
              LOG.info(
                  "deleting the savepoint {} of an earlier stop (job {}, {}): the newest {} the"
                      + " cluster's record lists are kept (flink.savepoints.retain)",
                  dir.get(),
                  entry.jobId(),
                  entry.takenAt(),
                  savepointsRetained);
              try {
                deleteTree(dir.get());
              } catch (IOException e) {
                LOG.warn("cannot delete the savepoint {}", dir.get(), e);
              }
            }
          }
          return true;
        },
        threadNamed("af-pipeline-savepoint-prune"));
  }

  private static Path normalize(Path p) {
    Path abs = p.toAbsolutePath().normalize();
    // a recorded savepoint may name its _metadata file rather than its directory
    return abs.getFileName() != null && abs.getFileName().toString().equals("_metadata")
        ? abs.getParent()
        : abs;
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
