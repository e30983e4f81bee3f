package dev.agentfactory.connectors.dataset.version;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommittedFilesTest {

  @TempDir Path dir;

  @Test
  void aDirectoryThatDoesNotExistHasNoCommittedFiles() throws Exception {
    assertThat(CommittedFiles.list(dir.resolve("sft"))).isEmpty();
  }

  @Test
  void listsVisiblePartFilesOnlyAsPathsUnderTheDirectory() throws Exception {
    Path bucket = Files.createDirectories(dir.resolve("2026-11-27--06"));
    Files.writeString(bucket.resolve("part-a-0.parquet"), "x");
    Files.writeString(bucket.resolve(".part-a-1.parquet.inprogress.1"), "x");
    Files.writeString(bucket.resolve("part-a-0.parquet.crc"), "x");
    Files.createDirectories(dir.resolve("_versions"));
    Files.writeString(dir.resolve("_versions/part-not-data"), "x");

    assertThat(CommittedFiles.list(dir)).containsExactly(bucket.resolve("part-a-0.parquet"));
  }

  /**
   * A sink creates and removes hidden in-progress files while the directory is listed. An entry
   * listed and gone before it is looked at made the scan throw {@code NoSuchFileException} (a
   * pipeline IT polling the dataset failed on it in CI).
   */
  @Test
  void filesThatVanishWhileListingAreSkippedNotFatal() throws Exception {
    Path bucket = Files.createDirectories(dir.resolve("2026-11-27--06"));
    Files.writeString(bucket.resolve("part-a-0.parquet"), "x");
    Files.writeString(bucket.resolve("part-a-1.parquet"), "x");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong churned = new AtomicLong();
    Thread sink =
        new Thread(
            () -> {
              try {
                while (!stop.get()) {
                  long n = churned.incrementAndGet();
                  Path inProgress = bucket.resolve(".part-b-" + n + ".parquet.inprogress." + n);
                  Files.writeString(inProgress, "x");
                  Files.delete(inProgress);
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    sink.start();
    try {
      // Many scans against a churning directory: each one sees exactly the two committed files.
      for (int i = 0; i < 20_000 && sink.isAlive(); i++) {
        List<Path> files = CommittedFiles.list(dir);
        assertThat(files)
            .containsExactly(
                bucket.resolve("part-a-0.parquet"), bucket.resolve("part-a-1.parquet"));
      }
    } finally {
      stop.set(true);
      sink.join();
    }
    assertThat(churned.get()).isPositive();
  }
}
