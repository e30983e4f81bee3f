package dev.agentfactory.edge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.OperatorStreamStateHandle;
import org.apache.flink.runtime.state.filesystem.FileStateHandle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which point a restarted pipeline job resumes from, on checkpoint and savepoint directories
 * written with Flink's own metadata serializer: the newest readable one, skipping damaged ones only
 * where that cannot write committed rows a second time.
 */
class ResumePointTest {

  @TempDir Path dir;

  private Path checkpoints() {
    return dir.resolve("checkpoints");
  }

  @Test
  void theNewestOfTheSavepointAndTheRetainedCheckpointsWins() throws Exception {
    Path savepoint = point(dir.resolve("savepoints/savepoint-aaaaaa-1"), 1, 100);
    Path checkpoint = point(checkpoints().resolve("job-a/chk-7"), 7, 200);

    assertThat(choose(savepoint)).hasValue(checkpoint.toUri().toString());

    Files.setLastModifiedTime(savepoint.resolve("_metadata"), FileTime.fromMillis(300_000));
    assertThat(choose(savepoint)).hasValue(savepoint.toString());
  }

  @Test
  void aCheckpointWithoutMetadataNeverCompletedAndIsPassedOver() throws Exception {
    Path complete = point(checkpoints().resolve("job-a/chk-4"), 4, 100);
    Files.createDirectories(checkpoints().resolve("job-a/chk-5"));

    assertThat(choose(null)).hasValue(complete.toUri().toString());
  }

  @Test
  void aDamagedCheckpointIsSkippedForTheSameRunsPreviousOne() throws Exception {
    Path previous = point(checkpoints().resolve("job-a/chk-4"), 4, 100);
    Path damaged = point(checkpoints().resolve("job-a/chk-5"), 5, 200);
    truncate(damaged);

    assertThat(ResumePoint.problem(damaged)).hasValueSatisfying(p -> assertThat(p).contains("EOF"));
    assertThat(choose(null)).hasValue(previous.toUri().toString());
  }

  @Test
  void aDamagedCheckpointIsNotSkippedForAnEarlierRunOrTheSavepoint() throws Exception {
    // run b resumed from the savepoint, crashed; run a resumed from b's checkpoint, committed rows
    // and checkpointed, and that checkpoint is damaged: b's checkpoint and the savepoint both
    // predate a's rows, which restoring either would write again
    Path savepoint = point(dir.resolve("savepoints/savepoint-aaaaaa-1"), 1, 100);
    point(checkpoints().resolve("job-b/chk-3"), 3, 200);
    truncate(point(checkpoints().resolve("job-a/chk-9"), 9, 300));

    assertThat(choose(savepoint)).as("start from the committed offsets").isEmpty();
  }

  @Test
  void aDamagedSavepointIsNotSkippedForAnOlderCheckpoint() throws Exception {
    point(checkpoints().resolve("job-a/chk-3"), 3, 100);
    Path savepoint = point(dir.resolve("savepoints/savepoint-aaaaaa-1"), 4, 200);
    truncate(savepoint);
    assertThat(choose(savepoint)).isEmpty();

    // a savepoint directory whose _metadata is gone is as damaged: it did complete
    Files.delete(savepoint.resolve("_metadata"));
    Files.setLastModifiedTime(savepoint, FileTime.fromMillis(200_000));
    assertThat(choose(savepoint)).isEmpty();
  }

  @Test
  void aCheckpointWhoseStateFileIsGoneIsSkipped() throws Exception {
    Path previous = point(checkpoints().resolve("job-a/chk-4"), 4, 100);
    Path state = dir.resolve("checkpoints/job-a/chk-5/state-file");
    Path broken = point(checkpoints().resolve("job-a/chk-5"), 5, 200, fileState(state));

    assertThat(ResumePoint.problem(broken))
        .hasValueSatisfying(p -> assertThat(p).contains("state-file").contains("missing"));
    assertThat(choose(null)).hasValue(previous.toUri().toString());

    Files.write(state, new byte[10]);
    assertThat(ResumePoint.problem(broken)).isEmpty();
    assertThat(choose(null)).hasValue(broken.toUri().toString());
  }

  @Test
  void aRecordedSavepointThatIsGoneIsPassedOver() throws Exception {
    Path gone = dir.resolve("savepoints/savepoint-aaaaaa-1");
    assertThat(choose(gone)).isEmpty();

    Path checkpoint = point(checkpoints().resolve("job-a/chk-2"), 2, 100);
    assertThat(choose(gone)).hasValue(checkpoint.toUri().toString());
  }

  @Test
  void aSavepointThisNodeCannotReadIsTriedOnlyWithoutAnythingElse() throws Exception {
    String remote = "s3://bucket/savepoints/savepoint-aaaaaa-1";
    assertThat(ResumePoint.choose(Optional.of(remote), Optional.of(checkpoints())))
        .hasValue(remote);
    // an external cluster: nothing to compare or read
    assertThat(ResumePoint.choose(Optional.of(remote), Optional.empty())).hasValue(remote);

    Path checkpoint = point(checkpoints().resolve("job-a/chk-2"), 2, 100);
    assertThat(ResumePoint.choose(Optional.of(remote), Optional.of(checkpoints())))
        .hasValue(checkpoint.toUri().toString());
  }

  private Optional<String> choose(Path savepoint) {
    return ResumePoint.choose(
        Optional.ofNullable(savepoint).map(Path::toString), Optional.of(checkpoints()));
  }

  /** A completed checkpoint or savepoint, its {@code _metadata} written at {@code seconds}. */
  private static Path point(Path at, long id, long seconds, OperatorState... states)
      throws IOException {
    Files.createDirectories(at);
    Path metadata = at.resolve("_metadata");
    try (OutputStream out = Files.newOutputStream(metadata)) {
      Checkpoints.storeCheckpointMetadata(
          new CheckpointMetadata(id, Arrays.asList(states), List.of()), out);
    }
    Files.setLastModifiedTime(metadata, FileTime.fromMillis(seconds * 1000));
    return at;
  }

  /** An operator whose one subtask's state is in {@code file}. */
  private static OperatorState fileState(Path file) {
    OperatorState operator = new OperatorState("op", "op", new OperatorID(), 1, 128);
    operator.putState(
        0,
        OperatorSubtaskState.builder()
            .setManagedOperatorState(
                new OperatorStreamStateHandle(
                    Map.of(),
                    new FileStateHandle(new org.apache.flink.core.fs.Path(file.toUri()), 10)))
            .build());
    return operator;
  }

  /** Cuts the {@code _metadata} in half, keeping its time. */
  private static void truncate(Path point) throws IOException {
    Path metadata = point.resolve("_metadata");
    FileTime time = Files.getLastModifiedTime(metadata);
    byte[] bytes = Files.readAllBytes(metadata);
    Files.write(metadata, Arrays.copyOf(bytes, bytes.length / 2));
    Files.setLastModifiedTime(metadata, time);
  }
}
