package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.connectors.flink.JudgeConfig;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The interaction pipeline job on a Flink cluster, driven through Flink's REST API only: the same
 * path for the embedded MiniCluster and for an external session cluster.
 */
public final class PipelineJob {

  private static final Logger LOG = LoggerFactory.getLogger(PipelineJob.class);

  private final FlinkRestClient rest;
  private final Path jar;
  private final Path savepointFile;
  private final Optional<Path> checkpointsDir;
  private final List<String> args;
  private volatile String jobId;
  private volatile String resumedFrom;

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
   */
  public PipelineJob(
      FlinkRestClient rest,
      Path jar,
      Path savepointFile,
      Optional<Path> checkpointsDir,
      String bootstrapServers,
      Path datasetsDir,
      int checkpointIntervalMs,
      JudgeConfig judge) {
    this.rest = rest;
    this.jar = jar;
    this.savepointFile = savepointFile;
    this.checkpointsDir = checkpointsDir;
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
   * Uploads the jar and runs it, resuming from the newest of the savepoint of the last clean stop
   * and the checkpoints earlier runs retained (a crashed run's state is in its last checkpoint, not
   * in the older savepoint it started from); completes with the job id once Flink accepted the job.
   */
  public CompletionStage<String> submit() {
    if (!Files.isRegularFile(jar)) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(
              "pipeline job jar "
                  + jar
                  + " does not exist; build it with ./agent-factory up or set"
                  + " flink.pipeline.jar"));
    }
    Optional<String> savepoint = ResumePoint.newest(lastSavepoint(), checkpointsDir);
    return rest.uploadJar(jar)
        .thenCompose(jarId -> run(jarId, savepoint))
        .thenApply(
            id -> {
              jobId = id;
              return id;
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

  /** The job's state as Flink reports it; fails if it was never submitted. */
  public CompletionStage<JobSummary> status() {
    String id = jobId;
    if (id == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("not submitted"));
    }
    return rest.job(id);
  }

  /**
   * Stops the job with a final savepoint, so every file written so far is committed; completes with
   * the savepoint path. Completes at once if the job was never submitted.
   */
  public CompletionStage<String> stop() {
    String id = jobId;
    if (id == null) {
      return CompletableFuture.completedFuture(null);
    }
    return rest.stopWithSavepoint(id)
        .thenApply(
            path -> {
              try {
                Files.createDirectories(savepointFile.getParent());
                Files.writeString(savepointFile, path);
              } catch (IOException e) {
                LOG.warn("savepoint {} taken but not recorded in {}", path, savepointFile, e);
              }
              return path;
            });
  }

  public String jobId() {
    return jobId;
  }

  /**
   * Deletes the checkpoints that earlier runs retained ({@code <checkpoints>/<job id>/}), once the
   * running job has completed a checkpoint of its own: from then on a crash resumes from that one
   * (a restore after a restart is not claimed: its first checkpoint is complete in itself), and
   * without this every run of the node leaves one behind. Directories of jobs Flink still lists as
   * not finished are kept. Completes with true once pruning ran, false while the job has no
   * completed checkpoint yet (call again later), and at once with false without a local checkpoint
   * directory (an external cluster).
   */
  public CompletionStage<Boolean> pruneRetainedCheckpoints() {
    String id = jobId;
    if (id == null || checkpointsDir.isEmpty()) {
      return CompletableFuture.completedFuture(false);
    }
    return rest.latestCompletedCheckpoint(id)
        .thenCompose(
            latest ->
                latest.isEmpty()
                    ? CompletableFuture.completedFuture(false)
                    : rest.listJobs()
                        .thenApply(
                            jobs -> {
                              java.util.Set<String> keep = new java.util.HashSet<>();
                              keep.add(id);
                              jobs.stream()
                                  .filter(j -> !j.isTerminal())
                                  .forEach(j -> keep.add(j.id()));
                              deleteRetainedExcept(checkpointsDir.get(), keep);
                              return true;
                            }));
  }

  private static void deleteRetainedExcept(Path dir, java.util.Set<String> keep) {
    try (java.util.stream.Stream<Path> jobs = Files.list(dir)) {
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

  private static void deleteTree(Path root) throws IOException {
    try (java.util.stream.Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
