package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.RestorePoint;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a restarted pipeline job resumes: the newest readable one of the savepoint of the last
 * clean stop and the checkpoints that earlier runs retained ({@code <checkpoints>/<job
 * id>/chk-<n>/_metadata}).
 *
 * <p>The savepoint alone is not enough: after a crash the job's state (Kafka offsets, files in
 * flight, dedup hashes) is in its last completed checkpoint, which is newer than the savepoint it
 * started from. Restoring the older savepoint would rewind the offsets and write every row
 * committed since then a second time. Age is the {@code _metadata} file's modification time: Flink
 * writes it last, once the checkpoint or savepoint is complete.
 *
 * <p>Each point is read before it is chosen, as Flink reads it to restore it, and the state files
 * its metadata names must exist ({@link RestorePoint#problem}). A point that fails is skipped with
 * a warning that says why. What may be chosen after skipping one:
 *
 * <ul>
 *   <li>A checkpoint directory without {@code _metadata} never completed (Flink renames the file
 *       into place as the last step), so it committed nothing: it is skipped silently as before.
 *   <li>A point whose {@code _metadata} is there but unreadable (truncated, damaged) or whose state
 *       files are gone did complete, and its run may have committed rows after every older point.
 *       Only an older checkpoint <em>of the same run</em> is taken instead: it is one checkpoint
 *       interval older at most (Flink deletes a run's older checkpoints once a newer one completes,
 *       so if one is still there the newer one hardly got to commit anything). An earlier run's
 *       checkpoint or the savepoint the broken point's run started from would rewind past every row
 *       that run committed and write them all again; instead the job starts from the consumer
 *       group's committed offsets, which each completed checkpoint committed together with its
 *       files.
 * </ul>
 */
final class ResumePoint {

  private static final Logger LOG = LoggerFactory.getLogger(ResumePoint.class);
  private static final String METADATA = RestorePoint.METADATA;

  private ResumePoint() {}

  /** A savepoint or retained checkpoint; {@code run} is the job directory of a checkpoint. */
  private record Candidate(String pointer, Path dir, FileTime time, Optional<Path> run) {

    boolean isSavepoint() {
      return run.isEmpty();
    }
  }

  /**
   * @param savepoint the recorded savepoint path or URI, if any
   * @param checkpointsDir the cluster's checkpoint directory, if this node can read it (the
   *     embedded cluster); empty for an external cluster, whose savepoint is passed on unchecked
   * @return the path to restore from, or empty to start from the committed Kafka offsets
   */
  static Optional<String> choose(Optional<String> savepoint, Optional<Path> checkpointsDir) {
    if (checkpointsDir.isEmpty()) {
      return savepoint;
    }
    List<Candidate> candidates = new ArrayList<>(retainedCheckpoints(checkpointsDir.get()));
    // A savepoint that is not a local path (recorded while the node used an external cluster)
    // cannot be read or compared here: it is tried only when there is nothing else.
    Optional<String> unreadable = Optional.empty();
    if (savepoint.isPresent()) {
      Optional<Path> local = localPath(savepoint.get());
      if (local.isEmpty()) {
        unreadable = savepoint;
      } else if (!Files.isDirectory(local.get()) && !Files.isRegularFile(local.get())) {
        LOG.warn("the recorded savepoint {} does not exist; not resuming from it", savepoint.get());
      } else {
        // the recorded savepoint completed: without _metadata it was damaged since, so it is
        // ordered by when its directory last changed and is skipped below as broken
        Path dir = Files.isDirectory(local.get()) ? local.get() : local.get().getParent();
        candidates.add(
            new Candidate(
                savepoint.get(),
                dir,
                modified(dir.resolve(METADATA))
                    .or(() -> modified(dir))
                    .orElse(FileTime.fromMillis(0)),
                Optional.empty()));
      }
    }
    // newest first; on a tie the savepoint, which a clean stop took last
    candidates.sort(
        Comparator.comparing(Candidate::time)
            .reversed()
            .thenComparing(c -> c.isSavepoint() ? 0 : 1));

    List<Candidate> broken = new ArrayList<>();
    for (Candidate c : candidates) {
      Optional<String> problem = problem(c.dir());
      if (problem.isPresent()) {
        LOG.warn("skipping {} as the point to resume from: {}", c.pointer(), problem.get());
        broken.add(c);
        continue;
      }
      if (broken.isEmpty()) {
        return Optional.of(c.pointer());
      }
      if (c.run().isPresent() && broken.stream().allMatch(b -> c.run().equals(b.run()))) {
        LOG.warn(
            "resuming from {}, the newest readable checkpoint of the same run as {}: rows that run"
                + " committed after it, at most a checkpoint interval's, may be written again",
            c.pointer(),
            broken.get(0).pointer());
        return Optional.of(c.pointer());
      }
      LOG.warn(
          "not resuming from the older {} either: the run of {} may have committed rows after it,"
              + " which restoring it would write a second time; starting from the committed Kafka"
              + " offsets",
          c.pointer(),
          broken.get(0).pointer());
      return Optional.empty();
    }
    if (!broken.isEmpty()) {
      LOG.warn("no readable savepoint or checkpoint; starting from the committed Kafka offsets");
      return Optional.empty();
    }
    return unreadable;
  }

  /**
   * Every {@code chk-<n>} directory with a {@code _metadata} file, of any earlier job; those
   * without never completed and are left out.
   */
  private static List<Candidate> retainedCheckpoints(Path checkpointsDir) {
    if (!Files.isDirectory(checkpointsDir)) {
      return List.of();
    }
    List<Candidate> candidates = new ArrayList<>();
    try (Stream<Path> jobs = Files.list(checkpointsDir)) {
      for (Path job : jobs.filter(Files::isDirectory).toList()) {
        for (Path chk : checkpointsOf(job)) {
          Optional<FileTime> time = modified(chk.resolve(METADATA));
          if (time.isEmpty()) {
            LOG.info("skipping {}: it has no {}, the checkpoint never completed", chk, METADATA);
          } else {
            candidates.add(
                new Candidate(chk.toUri().toString(), chk, time.get(), Optional.of(job)));
          }
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot list retained checkpoints in {}", checkpointsDir, e);
    }
    return candidates;
  }

  private static List<Path> checkpointsOf(Path jobDir) {
    try (Stream<Path> children = Files.list(jobDir)) {
      return children
          .filter(p -> p.getFileName().toString().startsWith("chk-"))
          .filter(Files::isDirectory)
          .toList();
    } catch (IOException e) {
      LOG.warn("cannot list retained checkpoints in {}", jobDir, e);
      return List.of();
    }
  }

  /**
   * Why the checkpoint or savepoint in {@code dir} cannot be restored, or empty if it can as far as
   * its files tell ({@link RestorePoint#problem}).
   */
  static Optional<String> problem(Path dir) {
    return RestorePoint.problem(dir);
  }

  private static Optional<FileTime> modified(Path file) {
    try {
      return Files.exists(file) ? Optional.of(Files.getLastModifiedTime(file)) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  static Optional<Path> localPath(String pathOrUri) {
    try {
      if (pathOrUri.startsWith("file:")) {
        return Optional.of(Path.of(URI.create(pathOrUri)));
      }
      return pathOrUri.startsWith("/") ? Optional.of(Path.of(pathOrUri)) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
