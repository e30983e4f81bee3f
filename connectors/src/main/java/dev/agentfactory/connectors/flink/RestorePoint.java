package dev.agentfactory.connectors.flink;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.CompletedCheckpointStorageLocation;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.OperatorStreamStateHandle;
import org.apache.flink.runtime.state.StateObject;
import org.apache.flink.runtime.state.filesystem.AbstractFsCheckpointStorageAccess;
import org.apache.flink.runtime.state.filesystem.FileStateHandle;

/**
 * Whether a completed checkpoint or savepoint on the local file system can be restored, read the
 * way Flink reads it to restore it, without submitting a job: for the embedded cluster, whose
 * checkpoint and savepoint directories the node can read.
 */
public final class RestorePoint {

  /** The file Flink writes last, once a checkpoint or savepoint is complete. */
  public static final String METADATA = "_metadata";

  private RestorePoint() {}

  /**
   * Why the checkpoint or savepoint in {@code dir} cannot be restored, or empty if it can as far as
   * its files tell: its {@code _metadata} must exist and be read by {@link
   * Checkpoints#loadCheckpointMetadata} (what Flink's restore runs first), and every state file on
   * the local file system it names must exist. Whether the state fits the job (a changed job) is
   * not checked: Flink refuses that at submission.
   */
  public static Optional<String> problem(Path dir) {
    Path file = dir.resolve(METADATA);
    if (!Files.isRegularFile(file)) {
      return Optional.of("it has no " + METADATA);
    }
    CheckpointMetadata metadata;
    try {
      CompletedCheckpointStorageLocation location =
          AbstractFsCheckpointStorageAccess.resolveCheckpointPointer(dir.toUri().toString());
      try (InputStream in = location.getMetadataHandle().openInputStream();
          DataInputStream data = new DataInputStream(in)) {
        metadata =
            Checkpoints.loadCheckpointMetadata(
                data, RestorePoint.class.getClassLoader(), location.getExternalPointer());
      }
    } catch (IOException | RuntimeException | OutOfMemoryError e) {
      // A truncated file ends early (EOFException); damaged bytes make a length field garbage, and
      // the one array allocated for it may be refused (OutOfMemoryError, nothing else is held).
      return Optional.of(METADATA + " cannot be read (" + e + ")");
    }
    return missingStateFile(metadata).map(f -> "its state file " + f + " is missing");
  }

  /** The first state file, of those on the local file system, that does not exist. */
  private static Optional<Path> missingStateFile(CheckpointMetadata metadata) {
    List<StateObject> handles = new ArrayList<>();
    for (OperatorState operator : metadata.getOperatorStates()) {
      if (operator.getCoordinatorState() != null) {
        handles.add(operator.getCoordinatorState());
      }
      for (OperatorSubtaskState subtask : operator.getStates()) {
        handles.addAll(subtask.getDiscardables());
      }
    }
    for (StateObject handle : handles) {
      StateObject leaf = handle;
      if (leaf instanceof KeyGroupsStateHandle keyed) {
        leaf = keyed.getDelegateStateHandle();
      } else if (leaf instanceof OperatorStreamStateHandle operator) {
        leaf = operator.getDelegateStateHandle();
      }
      // in-memory handles (small state inside _metadata) have no file; other kinds (incremental
      // RocksDB state) are not used by the embedded cluster and are left to Flink
      if (leaf instanceof FileStateHandle stateFile) {
        java.net.URI uri = stateFile.getFilePath().toUri();
        if ("file".equals(uri.getScheme()) || uri.getScheme() == null) {
          Path path = Path.of(uri.getPath());
          if (!Files.isRegularFile(path)) {
            return Optional.of(path);
          }
        }
      }
    }
    return Optional.empty();
  }
}
