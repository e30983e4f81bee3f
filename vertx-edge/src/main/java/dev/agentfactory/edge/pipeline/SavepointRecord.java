package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.SavepointLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the pipeline job was stopped last: this node's own record (a file holding the path of the
 * last stop's savepoint) and, when there is one, the cluster's record in Kafka ({@link
 * SavepointLog}), to which every stop appends its savepoint.
 */
final class SavepointRecord {

  // the pipeline job's log category, as before this class was split out of it
  private static final Logger LOG = LoggerFactory.getLogger(PipelineJob.class);

  private final Path savepointFile;
  private final Optional<SavepointLog> savepointLog;

  /**
   * @param savepointFile where the path of the last stop's savepoint is kept, to resume from
   * @param savepointLog the cluster's record of where the job stopped last; empty to rely on {@code
   *     savepointFile} alone
   */
  SavepointRecord(Path savepointFile, Optional<SavepointLog> savepointLog) {
    this.savepointFile = savepointFile;
    this.savepointLog = savepointLog;
  }

  /** The cluster's record, if the job keeps one. */
  Optional<SavepointLog> clusterRecord() {
    return savepointLog;
  }

  /**
   * The savepoint the job was stopped with last, by this node or another: the last entry of the
   * cluster's record in Kafka, unless this node's own record is newer (written while Kafka did not
   * take the entry) or there is no such record; this node's own record when Kafka cannot be read.
   */
  Optional<String> newest() {
    Optional<String> own = last();
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

  /**
   * Records that job {@code id} was stopped with the savepoint at {@code path}: in this node's own
   * record, then in the cluster's; never fails (what is not recorded is logged).
   */
  void recordStop(String id, String path) {
    try {
      Files.createDirectories(savepointFile.getParent());
      Files.writeString(savepointFile, path);
    } catch (IOException e) {
      LOG.warn("savepoint {} taken but not recorded in {}", path, savepointFile, e);
    }
    recordInKafka(id, path);
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

  /** The savepoint this node's own record names; empty without one. */
  Optional<String> last() {
    try {
      return Files.isRegularFile(savepointFile)
          ? Optional.of(Files.readString(savepointFile).trim()).filter(s -> !s.isEmpty())
          : Optional.empty();
    } catch (IOException e) {
      LOG.warn("cannot read {}; starting without a savepoint", savepointFile, e);
      return Optional.empty();
    }
  }
}
