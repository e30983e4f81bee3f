package dev.agentfactory.connectors.dataset.version;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.connectors.dataset.ParquetFormats;
import dev.agentfactory.connectors.dataset.Provenance;
import dev.agentfactory.connectors.dataset.SftMessage;
import dev.agentfactory.connectors.dataset.SftRow;
import dev.agentfactory.connectors.dataset.Withdrawal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real Parquet files written by the job's format, versioned, and read back with DuckDB. */
class DatasetCatalogIT {

  private static final Lineage LINEAGE =
      new Lineage("job-1", 7L, null, List.of("passed-in"), "judge-3");

  @TempDir Path root;
  private Path sft;
  private DatasetCatalog catalog;

  @BeforeEach
  void twoCommittedFilesAndOneInProgress() throws Exception {
    sft = root.resolve("sft");
    Path bucket = Files.createDirectories(sft.resolve("2026-01-02--03"));
    writeParquet(bucket.resolve("part-a-0.parquet"), 2, "pii-v1");
    writeParquet(bucket.resolve("part-a-1.parquet"), 3, "pii-v2");
    // What FileSink leaves around: an in-progress file, a checksum side file, a marker.
    Files.writeString(bucket.resolve(".part-b-0.inprogress.1234"), "not parquet yet");
    Files.writeString(bucket.resolve("part-a-1.parquet.crc"), "crc");
    Files.writeString(sft.resolve("_SUCCESS"), "");
    catalog = new DatasetCatalog(root);
  }

  @Test
  void versionsSnapshotCommittedFilesAndStayByteIdentical() throws Exception {
    List<long[]> progress = new ArrayList<>();
    DatasetVersion v1 =
        catalog.cut("sft", LINEAGE, (f, ft, b, bt) -> progress.add(new long[] {f, ft, b, bt}));

    assertThat(v1.version()).isEqualTo(1);
    assertThat(v1.files())
        .extracting(DatasetFile::path)
        .containsExactly("2026-01-02--03/part-a-0.parquet", "2026-01-02--03/part-a-1.parquet");
    assertThat(v1.files()).extracting(DatasetFile::rows).containsExactly(2L, 3L);
    assertThat(v1.totalRows()).isEqualTo(5);
    for (DatasetFile f : v1.files()) {
      assertThat(f.sha256()).isEqualTo(sha256sum(sft.resolve(f.path())));
      assertThat(f.sizeBytes()).isEqualTo(Files.size(sft.resolve(f.path())));
    }
    assertThat(v1.schema().parquet()).startsWith("message").contains("scrub_policy_version");
    assertThat(v1.schema().avro()).contains("\"SftRow\"");
    // The column wins over the passed-in value; the rest of the lineage is kept.
    assertThat(v1.lineage())
        .isEqualTo(new Lineage("job-1", 7L, null, List.of("pii-v1", "pii-v2"), "judge-3"));
    assertThat(progress.get(0))
        .as("the totals come first, before a byte is read")
        .containsExactly(0, 2, 0, v1.totalBytes());
    assertThat(progress.get(progress.size() - 1))
        .containsExactly(2, 2, v1.totalBytes(), v1.totalBytes());

    Path v1Manifest = sft.resolve("_versions/v1.json");
    byte[] v1Bytes = Files.readAllBytes(v1Manifest);
    assertThat(ManifestCodec.decode(v1Bytes)).isEqualTo(v1);
    assertThat(catalog.version("sft", 1)).contains(v1);

    writeParquet(
        Files.createDirectories(sft.resolve("2026-01-02--04")).resolve("part-c-0.parquet"),
        4,
        "pii-v2");
    DatasetVersion v2 = catalog.cut("sft", LINEAGE, ProgressListener.NONE);

    assertThat(v2.version()).isEqualTo(2);
    assertThat(v2.files()).hasSize(3);
    assertThat(v2.totalRows()).isEqualTo(9);
    assertThat(Files.readAllBytes(v1Manifest)).isEqualTo(v1Bytes);
    assertThat(catalog.versions("sft")).containsExactly(v1, v2);
    assertThat(catalog.list()).containsExactly(new DatasetSummary("sft", 3, 9, 2));
    try (var leftovers = Files.list(sft.resolve("_versions"))) {
      assertThat(leftovers.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("v1.json", "v2.json");
    }
  }

  @Test
  void aPreviewSaysWhetherTheLatestVersionListsExactlyWhatIsCommittedNow() throws Exception {
    CutPreview before = catalog.preview("sft");
    assertThat(before.files()).isEqualTo(2);
    assertThat(before.unchanged()).as("no version yet").isEmpty();

    DatasetVersion v1 = catalog.cut("sft", LINEAGE, ProgressListener.NONE);
    CutPreview same = catalog.preview("sft");
    assertThat(same.unchanged()).contains(v1);
    assertThat(same.bytes()).isEqualTo(v1.totalBytes());

    withdrawOneRow(); // a new file and a withdrawal of one of its rows
    assertThat(catalog.preview("sft").unchanged()).as("a new committed file").isEmpty();
    DatasetVersion v2 = catalog.cut("sft", LINEAGE, ProgressListener.NONE);
    assertThat(v2.files()).anyMatch(f -> f.source() != null);
    assertThat(catalog.preview("sft").unchanged())
        .as("a filtered copy stands for the committed file it was copied from")
        .contains(v2);

    writeWithdrawals(
        Files.createDirectories(root.resolve("_withdrawals/sft/2026-01-02--06"))
            .resolve("part-w-1.parquet"),
        "withdrawn-later");
    assertThat(catalog.preview("sft").unchanged()).as("a new withdrawal").isEmpty();
    DatasetVersion v3 = catalog.cut("sft", LINEAGE, ProgressListener.NONE);
    assertThat(catalog.preview("sft").unchanged()).contains(v3);

    Path first = sft.resolve(v1.files().get(0).path());
    byte[] sameSize = Files.readAllBytes(first);
    sameSize[sameSize.length / 2] ^= 1;
    Files.write(first, sameSize);
    FileTime manifestWritten = Files.getLastModifiedTime(sft.resolve("_versions/v3.json"));
    Files.setLastModifiedTime(first, FileTime.from(manifestWritten.toInstant().plusSeconds(1)));
    assertThat(catalog.preview("sft").unchanged())
        .as("a file listed as it is, rewritten in place at the same size after the cut")
        .isEmpty();

    Files.write(first, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);
    assertThat(catalog.preview("sft").unchanged())
        .as("a file listed as it is whose size changed")
        .isEmpty();
  }

  @Test
  void duckDbReadsExactlyTheFilesOfAVersion() throws Exception {
    writeParquet(
        Files.createDirectories(sft.resolve("2026-01-02--04")).resolve("part-c-0.parquet"),
        4,
        "pii-v2");
    DatasetVersion v = catalog.cut("sft", Lineage.unknown(), ProgressListener.NONE);
    // Committed after the cut: on disk, but not in the version.
    writeParquet(sft.resolve("2026-01-02--04/part-c-1.parquet"), 5, "pii-v2");

    List<Path> files = new ArrayList<>();
    for (DatasetFile f : v.files()) {
      files.add(catalog.resolveFile("sft", v.version(), f.path()));
    }
    String list = files.stream().map(p -> "'" + p + "'").collect(Collectors.joining(", "));
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*), count(DISTINCT filename) FROM read_parquet(["
                    + list
                    + "], filename = true)")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getLong(1)).isEqualTo(v.totalRows()).isEqualTo(9);
      assertThat(rs.getLong(2)).isEqualTo(3);
    }
  }

  @Test
  void aCutLeavesOutWithdrawnRowsThroughACopyAndCountsThem() throws Exception {
    Path bucket = Files.createDirectories(sft.resolve("2026-01-02--05"));
    writeParquet(bucket.resolve("part-d-0.parquet"), 3, "pii-v1");
    writeParquet(bucket.resolve("part-d-1.parquet"), 2, "pii-v1");
    Path withdrawals = Files.createDirectories(root.resolve("_withdrawals/sft/2026-01-02--05"));
    writeWithdrawals(
        withdrawals.resolve("part-w-0.parquet"), "part-d-0.parquet-1", "not-in-any-file");
    List<String> committedBefore = CommittedFiles.scan(sft);

    DatasetVersion v = catalog.cut("sft", Lineage.unknown(), ProgressListener.NONE);

    assertThat(CommittedFiles.scan(sft))
        .as("committed files are untouched, copies are not committed files")
        .isEqualTo(committedBefore);
    assertThat(v.withdrawnExamples()).isEqualTo(2);
    assertThat(v.excludedRows()).isEqualTo(1);
    DatasetFile copy = v.files().stream().filter(f -> f.source() != null).findFirst().orElseThrow();
    assertThat(copy.source()).isEqualTo("2026-01-02--05/part-d-0.parquet");
    assertThat(copy.path())
        .startsWith("_filtered/v1-")
        .endsWith("/2026-01-02--05/part-d-0.parquet");
    assertThat(copy.rows()).isEqualTo(2);
    assertThat(copy.excludedRows()).isEqualTo(1);
    assertThat(v.files().stream().filter(f -> f.source() == null).map(DatasetFile::path))
        .contains("2026-01-02--05/part-d-1.parquet")
        .doesNotContain("2026-01-02--05/part-d-0.parquet");
    assertThat(v.totalRows()).as("2 + 3 set up, 3 + 2 here, one withdrawn").isEqualTo(9);
    assertThat(sha256sum(catalog.resolveFile("sft", 1, copy.path()))).isEqualTo(copy.sha256());
    assertThat(catalog.verify("sft", 1).intact()).isTrue();
    assertThat(ManifestCodec.decode(ManifestCodec.encode(v))).isEqualTo(v);

    List<Path> files = new ArrayList<>();
    for (DatasetFile f : v.files()) {
      files.add(catalog.resolveFile("sft", v.version(), f.path()));
    }
    String list = files.stream().map(p -> "'" + p + "'").collect(Collectors.joining(", "));
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*), count(*) FILTER (WHERE example_id = 'part-d-0.parquet-1'),"
                    + " CAST(list(messages ORDER BY example_id)[1] AS VARCHAR)"
                    + " FROM read_parquet(["
                    + list
                    + "])")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getLong(1)).isEqualTo(v.totalRows());
      assertThat(rs.getLong(2)).as("the withdrawn row").isZero();
      assertThat(rs.getString(3)).as("3-level message lists survive the copy").contains("hi 0");
    }
  }

  @Test
  void aCutThatFailsMidWayRemovesTheCopiesItWrote() throws Exception {
    withdrawOneRow();
    DatasetVersion v1 = catalog.cut("sft", Lineage.unknown(), ProgressListener.NONE);
    List<String> v1Files = filesUnder(sft.resolve("_filtered"));
    assertThat(v1Files).hasSize(1);
    Path bucket = Files.createDirectories(sft.resolve("2026-01-02--06"));
    writeParquet(bucket.resolve("part-e-0.parquet"), 2, "pii-v1");
    boolean[] copied = {false};

    assertThatThrownBy(
            () ->
                catalog.cut(
                    "sft",
                    Lineage.unknown(),
                    new ProgressListener() {
                      @Override
                      public void onProgress(int f, int ft, long b, long bt) {}

                      @Override
                      public void onRows(long rows) {
                        // after the copy of the file with the withdrawn row, before the next
                        copied[0] |=
                            filesUnder(sft.resolve("_filtered")).stream()
                                    .filter(f -> f.endsWith(".parquet"))
                                    .count()
                                > 1;
                        if (copied[0]) {
                          throw new IllegalStateException("disk pulled mid-cut");
                        }
                      }
                    }))
        .hasMessageContaining("disk pulled mid-cut");

    assertThat(copied[0]).as("the failing cut had written its copy").isTrue();
    assertThat(filesUnder(sft.resolve("_filtered")))
        .as("the failed cut's copy and lock are gone, v1's copy stays")
        .isEqualTo(v1Files);
    assertThat(catalog.versions("sft")).containsExactly(v1);
    assertThat(catalog.verify("sft", 1).intact()).isTrue();
  }

  @Test
  void aCutSyncsItsCopiesAndTheirDirectoriesBeforeItPublishesTheManifest() throws Exception {
    withdrawOneRow();
    Path manifest = sft.resolve("_versions/v1.json");
    List<Path> syncedUnpublished = new ArrayList<>();
    FileSync recording =
        new FileSync() {
          @Override
          public void file(Path file) throws IOException {
            FileSync.FSYNC.file(file);
            record(file);
          }

          @Override
          public void directory(Path dir) {
            FileSync.FSYNC.directory(dir);
            record(dir);
          }

          private void record(Path p) {
            if (!Files.exists(manifest)) {
              syncedUnpublished.add(sft.relativize(p));
            }
          }
        };

    DatasetVersion v =
        new DatasetCatalog(root, Clock.systemUTC(), recording)
            .cut("sft", Lineage.unknown(), ProgressListener.NONE);

    String copy =
        v.files().stream().filter(f -> f.source() != null).findFirst().orElseThrow().path();
    Path copyPath = Path.of(copy);
    assertThat(syncedUnpublished)
        .as("the copy, and each directory from its own up to the dataset's, before the manifest")
        .contains(
            copyPath,
            copyPath.getParent(),
            copyPath.getParent().getParent(),
            Path.of("_filtered"),
            Path.of(""));
    assertThat(Files.exists(manifest)).isTrue();
  }

  @Test
  void orphanCopiesAreRemovedAndPublishedAndRunningCutsCopiesStay() throws Exception {
    withdrawOneRow();
    DatasetVersion v1 = catalog.cut("sft", Lineage.unknown(), ProgressListener.NONE);
    Path filtered = sft.resolve("_filtered");
    List<String> v1Files = filesUnder(filtered);
    // What a kill leaves: a copy directory, its lock file (no one holds it), a lock alone.
    Path orphan = Files.createDirectories(filtered.resolve("v2-0badc0de/2026-01-02--05"));
    Files.copy(sft.resolve("2026-01-02--05/part-d-0.parquet"), orphan.resolve("part-d-0.parquet"));
    Files.writeString(filtered.resolve(".v2-0badc0de.lock"), "");
    Files.writeString(filtered.resolve(".v3-0000beef.lock"), "");
    // A copy of v1's cut directory that v1 does not list (e.g. a half-written second copy).
    String v1Dir = v1Files.get(0).substring(0, v1Files.get(0).indexOf('/'));
    Files.writeString(filtered.resolve(v1Dir).resolve("stray.parquet"), "half");
    // A cut running in this process holds its lock: its copies are not orphans.
    Path running = Files.createDirectories(filtered.resolve("v2-1234abcd"));
    Files.writeString(running.resolve("part-x.parquet"), "being written");
    FilteredCopies held = FilteredCopies.begin(sft, "v2-1234abcd");
    List<String> removed;
    try {
      removed = catalog.removeOrphanCopies();
    } finally {
      held.finish();
    }

    assertThat(removed)
        .containsExactlyInAnyOrder(
            "sft/_filtered/v2-0badc0de/2026-01-02--05/part-d-0.parquet",
            "sft/_filtered/" + v1Dir + "/stray.parquet");
    assertThat(filesUnder(filtered))
        .as("v1's copy and the running cut's file stay; locks of dead cuts go")
        .containsExactlyInAnyOrder(v1Files.get(0), "v2-1234abcd/part-x.parquet");
    assertThat(Files.exists(filtered.resolve("v2-0badc0de"))).isFalse();
    assertThat(catalog.versions("sft")).containsExactly(v1);
    assertThat(catalog.verify("sft", 1).intact()).isTrue();
    assertThat(catalog.removeOrphanCopies())
        .as("the running cut's copy once it finished unlisted")
        .containsExactly("sft/_filtered/v2-1234abcd/part-x.parquet");
  }

  @Test
  void aSweepKeepsTheCopiesOfACutThatPublishedAfterTheSweepListedThem() throws Exception {
    withdrawOneRow();
    Path filtered = sft.resolve("_filtered");
    CountDownLatch copied = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    ProgressListener pauseAfterTheCopy =
        new ProgressListener() {
          @Override
          public void onProgress(int f, int ft, long b, long bt) {}

          @Override
          public void onRows(long rows) {
            if (copied.getCount() > 0
                && filesUnder(filtered).stream().anyMatch(f -> f.endsWith(".parquet"))) {
              copied.countDown();
              await(resume);
            }
          }
        };
    CompletableFuture<DatasetVersion> cut =
        CompletableFuture.supplyAsync(
            () -> catalog.cut("sft", Lineage.unknown(), pauseAfterTheCopy));
    await(copied);

    // The sweep lists the running cut's directory and lock; then the cut publishes v1 and
    // releases its lock before the sweep gets to them.
    List<String> removed =
        catalog.removeOrphanCopies(
            () -> {
              resume.countDown();
              cut.join();
            });

    assertThat(removed).isEmpty();
    assertThat(catalog.versions("sft")).containsExactly(cut.get());
    assertThat(catalog.verify("sft", 1).intact()).as("v1's copy is still there").isTrue();
  }

  @Test
  void aCutWhoseLockFileASweepRemovedWhileItWasLockingTakesItAgain() throws Exception {
    Supplier<Set<String>> noneListed = Set::of;
    boolean[] swept = {false};
    // The sweep finds the new lock file, no copies next to it, and no one holding it yet.
    FilteredCopies running =
        FilteredCopies.begin(
            sft,
            "v1-1234abcd",
            () -> {
              if (!swept[0]) {
                swept[0] = true;
                try {
                  FilteredCopies.removeOrphans(sft, noneListed, () -> {});
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              }
            });
    List<String> removed;
    Path copy = sft.resolve("_filtered/v1-1234abcd/2026-01-02--03/part-a-0.parquet");
    try {
      Files.createDirectories(copy.getParent());
      Files.writeString(copy, "being written");
      removed = FilteredCopies.removeOrphans(sft, noneListed, () -> {});
    } finally {
      running.finish();
    }

    assertThat(swept[0]).isTrue();
    assertThat(removed).as("the running cut still holds the lock a sweep finds").isEmpty();
    assertThat(copy).exists();
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(60, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void withdrawOneRow() throws IOException {
    Path bucket = Files.createDirectories(sft.resolve("2026-01-02--05"));
    writeParquet(bucket.resolve("part-d-0.parquet"), 3, "pii-v1");
    Path withdrawals = Files.createDirectories(root.resolve("_withdrawals/sft/2026-01-02--05"));
    writeWithdrawals(withdrawals.resolve("part-w-0.parquet"), "part-d-0.parquet-1");
  }

  /** Every file under {@code dir}, relative to it, sorted; hidden lock files included. */
  private static List<String> filesUnder(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString())
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void resolveFileRefusesTraversalAbsoluteUnlistedAndEscapingPaths() throws Exception {
    DatasetVersion v1 = catalog.cut("sft", LINEAGE, ProgressListener.NONE);
    String listed = v1.files().get(0).path();
    assertThat(catalog.resolveFile("sft", 1, listed)).isEqualTo(sft.resolve(listed).toRealPath());

    assertCode(() -> catalog.resolveFile("sft", 1, "../x"), DatasetException.Code.INVALID_NAME);
    assertCode(
        () -> catalog.resolveFile("sft", 1, "2026-01-02--03/../../sft/" + listed),
        DatasetException.Code.INVALID_NAME);
    assertCode(
        () -> catalog.resolveFile("sft", 1, sft.resolve(listed).toString()),
        DatasetException.Code.INVALID_NAME);
    assertCode(
        () -> catalog.resolveFile("sft", 1, "2026-01-02--03/.part-b-0.inprogress.1234"),
        DatasetException.Code.NOT_FOUND);
    assertCode(() -> catalog.resolveFile("sft", 2, listed), DatasetException.Code.NOT_FOUND);
    assertCode(() -> catalog.resolveFile("../sft", 1, listed), DatasetException.Code.INVALID_NAME);

    // A listed file replaced by a link to outside the dataset is refused, and verify flags it.
    Path outside = Files.writeString(root.resolve("secret.txt"), "secret");
    Files.delete(sft.resolve(listed));
    Files.createSymbolicLink(sft.resolve(listed), outside);
    assertCode(() -> catalog.resolveFile("sft", 1, listed), DatasetException.Code.INVALID_NAME);
    assertThat(catalog.verify("sft", 1).problems())
        .extracting(VerifyReport.Problem::path, VerifyReport.Problem::kind)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(listed, VerifyReport.Kind.MISSING));
  }

  @Test
  void verifyReportsChangedAndVanishedFiles() throws Exception {
    DatasetVersion v1 = catalog.cut("sft", LINEAGE, ProgressListener.NONE);
    assertThat(catalog.verify("sft", 1).intact()).isTrue();

    DatasetFile changed = v1.files().get(0);
    DatasetFile vanished = v1.files().get(1);
    Files.write(sft.resolve(changed.path()), new byte[] {1, 2, 3});
    Files.delete(sft.resolve(vanished.path()));

    VerifyReport report = catalog.verify("sft", 1);
    assertThat(report.intact()).isFalse();
    assertThat(report.filesChecked()).isEqualTo(2);
    assertThat(report.problems())
        .containsExactly(
            new VerifyReport.Problem(
                changed.path(),
                VerifyReport.Kind.CHANGED,
                changed.sha256(),
                sha256sum(sft.resolve(changed.path()))),
            new VerifyReport.Problem(
                vanished.path(), VerifyReport.Kind.MISSING, vanished.sha256(), null));
  }

  @Test
  void aCutThatLosesTheRaceFailsWithConflictAndLeavesTheWinnerIntact() throws Exception {
    DatasetVersion[] winner = new DatasetVersion[1];
    // The second cut runs inside the first one's progress callback: it publishes v1 first.
    assertThatThrownBy(
            () ->
                catalog.cut(
                    "sft",
                    LINEAGE,
                    (f, ft, b, bt) -> {
                      if (winner[0] == null) {
                        winner[0] = catalog.cut("sft", LINEAGE, ProgressListener.NONE);
                      }
                    }))
        .isInstanceOfSatisfying(
            DatasetException.class,
            e -> {
              assertThat(e.code()).isEqualTo(DatasetException.Code.CONFLICT);
              assertThat(e.retriable()).isTrue();
            })
        .hasMessageContaining("version 1 of dataset 'sft'");
    assertThat(catalog.versions("sft")).containsExactly(winner[0]);
    assertThat(catalog.cut("sft", LINEAGE, ProgressListener.NONE).version()).isEqualTo(2);
  }

  @Test
  void unknownAndInvalidDatasetsAreTypedErrors() {
    assertCode(
        () -> catalog.cut("nope", LINEAGE, ProgressListener.NONE), DatasetException.Code.NOT_FOUND);
    assertCode(
        () -> catalog.cut("../sft", LINEAGE, ProgressListener.NONE),
        DatasetException.Code.INVALID_NAME);
    assertCode(() -> catalog.versions("Nope"), DatasetException.Code.INVALID_NAME);
    assertThat(catalog.version("sft", 1)).isEmpty();
    assertCode(() -> catalog.verify("sft", 1), DatasetException.Code.NOT_FOUND);
  }

  @Test
  void aCommittedFileThatIsNotParquetFailsTheCutAsAnIoErrorThatRetryingCannotCure()
      throws Exception {
    Files.writeString(sft.resolve("2026-01-02--03/part-z-0.parquet"), "garbage");

    assertThatThrownBy(() -> catalog.cut("sft", LINEAGE, ProgressListener.NONE))
        .isInstanceOfSatisfying(
            DatasetException.class,
            e -> {
              assertThat(e.code()).isEqualTo(DatasetException.Code.IO_ERROR);
              assertThat(e.retriable()).as("cutting again reads the same bytes").isFalse();
              assertThat(e.getMessage())
                  .contains("part-z-0.parquet", "the file is not a Parquet file")
                  .as("no parser class or reader identity in what a client reads")
                  .doesNotContain("LocalInputFile", "RuntimeException", "@");
            });
    assertThat(catalog.versions("sft")).isEmpty();
  }

  @Test
  void aCommittedFileThatIsNotParquetIsListedAsUnreadableAndOtherDatasetsListNormally()
      throws Exception {
    Path custom = Files.createDirectories(root.resolve("custom/2026-01-02--03"));
    writeParquet(custom.resolve("part-c-0.parquet"), 4, "pii-v1");
    Files.writeString(custom.resolve("part-c-1.parquet"), "x\n");

    List<DatasetSummary> listed = catalog.list();

    assertThat(listed).hasSize(2);
    DatasetSummary bad = listed.get(0);
    assertThat(bad.name()).isEqualTo("custom");
    assertThat(bad.committedFiles()).as("the unreadable file is committed").isEqualTo(2);
    assertThat(bad.totalRows()).as("rows of the readable file").isEqualTo(4);
    assertThat(bad.unreadableFiles())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.path()).isEqualTo("2026-01-02--03/part-c-1.parquet");
              assertThat(f.reason()).contains("part-c-1.parquet", "not a Parquet file");
            });
    assertThat(listed.get(1)).isEqualTo(new DatasetSummary("sft", 2, 5, 0));
    assertThatThrownBy(() -> catalog.cut("custom", LINEAGE, ProgressListener.NONE))
        .isInstanceOfSatisfying(
            DatasetException.class,
            e -> {
              assertThat(e.code()).isEqualTo(DatasetException.Code.IO_ERROR);
              assertThat(e.retriable()).isFalse();
              assertThat(e.getMessage()).contains("part-c-1.parquet");
            });

    Files.delete(custom.resolve("part-c-1.parquet"));
    assertThat(catalog.list().get(0))
        .as("moved away: listed as readable again")
        .isEqualTo(new DatasetSummary("custom", 1, 4, 0));
  }

  private static void assertCode(Runnable call, DatasetException.Code code) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(DatasetException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  static void writeParquet(Path file, int rows, String scrubPolicy) throws IOException {
    FileSystem fs = FileSystem.getLocalFileSystem();
    try (FSDataOutputStream out =
        fs.create(
            new org.apache.flink.core.fs.Path(file.toUri()), FileSystem.WriteMode.NO_OVERWRITE)) {
      BulkWriter<SftRow> writer = ParquetFormats.sft().create(out);
      for (int i = 0; i < rows; i++) {
        writer.addElement(
            new SftRow(
                new Provenance(
                    file.getFileName() + "-" + i,
                    null,
                    "s" + i,
                    "acme",
                    "helper",
                    "1.0.0",
                    null,
                    Instant.parse("2026-01-02T03:04:05Z"),
                    1,
                    scrubPolicy,
                    List.of(),
                    List.of(),
                    List.of()),
                List.of(new SftMessage("user", "hi " + i, null))));
      }
      writer.finish();
    }
  }

  private static void writeWithdrawals(Path file, String... exampleIds) throws IOException {
    FileSystem fs = FileSystem.getLocalFileSystem();
    try (FSDataOutputStream out =
        fs.create(
            new org.apache.flink.core.fs.Path(file.toUri()), FileSystem.WriteMode.NO_OVERWRITE)) {
      BulkWriter<Withdrawal> writer = ParquetFormats.withdrawals().create(out);
      for (String id : exampleIds) {
        writer.addElement(
            new Withdrawal(id, "amend-" + id, Withdrawal.RATED_DOWN, "s", "acme", Instant.EPOCH));
      }
      writer.finish();
    }
  }

  private static String sha256sum(Path file) throws Exception {
    Process p = new ProcessBuilder("sha256sum", file.toString()).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split(" ")[0];
  }
}
