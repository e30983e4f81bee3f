package dev.agentfactory.edge.pipeline;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a restarted pipeline job resumes: the newest of the savepoint of the last clean stop and
 * the checkpoints that earlier runs retained ({@code <checkpoints>/<job id>/chk-<n>/_metadata}).
 *
 * <p>The savepoint alone is not enough: after a crash the job's state (Kafka offsets, files in
 * flight, dedup hashes) is in its last completed checkpoint, which is newer than the savepoint it
 * started from. Restoring the older savepoint would rewind the offsets and write every row
 * committed since then a second time. Age is the {@code _metadata} file's modification time: Flink
 * writes it last, once the checkpoint or savepoint is complete.
 */
final class ResumePoint {

  private static final Logger LOG = LoggerFactory.getLogger(ResumePoint.class);
  private static final String METADATA = "_metadata";

  private ResumePoint() {}

  /**
   * @param savepoint the recorded savepoint path or URI, if any
   * @param checkpointsDir the cluster's checkpoint directory, if this node can read it (the
   *     embedded cluster); empty for an external cluster
   * @return the path to restore from, or empty to start from the committed Kafka offsets
   */
  static Optional<String> newest(Optional<String> savepoint, Optional<Path> checkpointsDir) {
    Optional<Path> checkpoint = checkpointsDir.flatMap(ResumePoint::newestRetainedCheckpoint);
    if (checkpoint.isEmpty()) {
      return savepoint;
    }
    if (savepoint.isPresent()) {
      // A savepoint that is not a local file (another machine, deleted) cannot be compared, and
      // could not be restored by the embedded cluster either: the checkpoint wins.
      Optional<FileTime> savepointTime = localPath(savepoint.get()).flatMap(ResumePoint::metadata);
      if (savepointTime.isPresent()
          && savepointTime.get().compareTo(metadata(checkpoint.get()).orElseThrow()) >= 0) {
        return savepoint;
      }
    }
    return Optional.of(checkpoint.get().toUri().toString());
  }

  /** The newest {@code chk-<n>} directory with a {@code _metadata} file, of any earlier job. */
  static Optional<Path> newestRetainedCheckpoint(Path checkpointsDir) {
    if (!Files.isDirectory(checkpointsDir)) {
      return Optional.empty();
    }
    try (Stream<Path> jobs = Files.list(checkpointsDir)) {
      List<Path> candidates =
          jobs.filter(Files::isDirectory).flatMap(ResumePoint::checkpointsOf).toList();
      return candidates.stream()
          .filter(c -> metadata(c).isPresent())
          .max(Comparator.comparing(c -> metadata(c).orElseThrow()));
    } catch (IOException e) {
      LOG.warn("cannot list retained checkpoints in {}", checkpointsDir, e);
      return Optional.empty();
    }
  }

  private static Stream<Path> checkpointsOf(Path jobDir) {
    try (Stream<Path> children = Files.list(jobDir)) {
      return children.filter(p -> p.getFileName().toString().startsWith("chk-")).toList().stream();
    } catch (IOException e) {
      LOG.warn("cannot list retained checkpoints in {}", jobDir, e);
      return Stream.empty();
    }
  }

  /** When the checkpoint or savepoint directory's {@code _metadata} was written, if it was. */
  private static Optional<FileTime> metadata(Path dir) {
    Path file = Files.isDirectory(dir) ? dir.resolve(METADATA) : dir;
    try {
      return Files.isRegularFile(file)
          ? Optional.of(Files.getLastModifiedTime(file))
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<Path> localPath(String pathOrUri) {
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
