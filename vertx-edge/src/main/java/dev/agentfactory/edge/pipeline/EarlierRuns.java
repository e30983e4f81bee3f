package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.SavepointLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What earlier runs of the pipeline job left on this machine and the running one no longer needs:
 * the checkpoints they retained and the savepoints beyond the newest {@code savepointsRetained}
 * (see {@link PipelineJob#pruneEarlierRuns()} for what is kept).
 */
final class EarlierRuns {

  // the pipeline job's log category, as before this class was split out of it
  private static final Logger LOG = LoggerFactory.getLogger(PipelineJob.class);

  private final FlinkRestClient rest;
  private final SavepointRecord savepoints;
  private final Optional<Path> checkpointsDir;
  private final Optional<Path> savepointsDir;
  private final int savepointsRetained;
  private final Supplier<String> trackedJob;
  private final BooleanSupplier submitting;
  private volatile LongSupplier nanoClock = System::nanoTime;

  private volatile String prunedFor;

  /**
   * The job whose pruning could not read the cluster's record ({@link #pruneLoggedSavepoints()}),
   * when it last tried, and how long until it tries again; null when there is nothing to retry.
   */
  private final AtomicReference<LogBackoff> logPruneDue = new AtomicReference<>();

  /**
   * @param trackedJob the id of the job the node tracks now
   * @param submitting whether a submission is in flight
   */
  EarlierRuns(
      FlinkRestClient rest,
      SavepointRecord savepoints,
      Optional<Path> checkpointsDir,
      Optional<Path> savepointsDir,
      int savepointsRetained,
      Supplier<String> trackedJob,
      BooleanSupplier submitting) {
    if (savepointsRetained < 1) {
      throw new IllegalArgumentException("savepointsRetained must be at least 1");
    }
    this.rest = rest;
    this.savepoints = savepoints;
    this.checkpointsDir = checkpointsDir;
    this.savepointsDir = savepointsDir;
    this.savepointsRetained = savepointsRetained;
    this.trackedJob = trackedJob;
    this.submitting = submitting;
  }

  /** Tells time by {@code nanoClock} (as {@link System#nanoTime()}) from now on: for tests. */
  void tellTimeBy(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  /** {@link PipelineJob#pruneEarlierRuns()}. */
  CompletionStage<Boolean> prune() {
    String id = trackedJob.get();
    if (id == null || (checkpointsDir.isEmpty() && savepointsDir.isEmpty())) {
      return CompletableFuture.completedFuture(false);
    }
    if (id.equals(prunedFor)) {
      return retryLoggedPrune(id);
    }
    if (submitting.getAsBoolean()) {
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
              if (submitting.getAsBoolean() || !id.equals(trackedJob.get())) {
                return false; // another job is being started: prune for that one
              }
              Set<String> keep = new HashSet<>();
              keep.add(id);
              jobs.stream().filter(j -> !j.isTerminal()).forEach(j -> keep.add(j.id()));
              savepoints
                  .last()
                  .flatMap(ResumePoint::localPath)
                  .map(EarlierRuns::normalize)
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
  void pruneSavepoints(String alsoKeep) {
    if (savepointsDir.isEmpty() || !Files.isDirectory(savepointsDir.get())) {
      return;
    }
    Set<Path> keep = new HashSet<>();
    savepoints.last().flatMap(ResumePoint::localPath).ifPresent(p -> keep.add(normalize(p)));
    Optional.ofNullable(alsoKeep)
        .flatMap(ResumePoint::localPath)
        .ifPresent(p -> keep.add(normalize(p)));
    List<Map.Entry<Path, FileTime>> found = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(savepointsDir.get())) {
      for (Path dir : dirs.toList()) {
        Path metadata = dir.resolve("_metadata");
        if (dir.getFileName().toString().startsWith("savepoint-")
            && Files.isDirectory(dir)
            && Files.isRegularFile(metadata)) {
          found.add(Map.entry(dir, Files.getLastModifiedTime(metadata)));
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot list the savepoints in {}; none deleted", savepointsDir.get(), e);
      return;
    }
    found.sort(Map.Entry.<Path, FileTime>comparingByValue(Comparator.reverseOrder()));
    for (Map.Entry<Path, FileTime> savepoint :
        found.subList(Math.min(savepointsRetained, found.size()), found.size())) {
      Path dir = savepoint.getKey();
      if (keep.contains(normalize(dir))) {
        continue;
      }
      LOG.info(
          "deleting the savepoint {}: the newest {} are kept (flink.savepoints.retain)",
          dir,
          savepointsRetained);
      deleteSavepoint(dir);
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
    Optional<SavepointLog> savepointLog = savepoints.clusterRecord();
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
          savepoints.last().flatMap(ResumePoint::localPath).ifPresent(p -> keep.add(normalize(p)));
          entries.subList(Math.max(0, entries.size() - savepointsRetained), entries.size()).stream()
              .flatMap(e -> ResumePoint.localPath(e.path()).stream())
              .forEach(p -> keep.add(normalize(p)));
          Path own = normalize(savepointsDir.get());
          for (SavepointLog.Entry entry : entries) {
            Optional<Path> dir = ResumePoint.localPath(entry.path()).map(EarlierRuns::normalize);
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
              deleteSavepoint(dir.get());
            }
          }
          return true;
        },
        PipelineJob.threadNamed("af-pipeline-savepoint-prune"));
  }

  private static void deleteSavepoint(Path dir) {
    try {
      deleteTree(dir);
    } catch (IOException e) {
      LOG.warn("cannot delete the savepoint {}", dir, e);
    }
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
