package dev.agentfactory.connectors.dataset.version;

import static dev.agentfactory.connectors.dataset.version.DatasetCatalogIT.writeParquet;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Listings over real Parquet files read each committed file's footer once, until it changes. */
class DatasetCatalogFooterCacheIT {

  @TempDir Path root;
  private Path bucket;
  private final List<Path> footerReads = new CopyOnWriteArrayList<>();
  private DatasetCatalog catalog;

  @BeforeEach
  void twoCommittedFiles() throws Exception {
    bucket = Files.createDirectories(root.resolve("sft").resolve("2026-01-02--03"));
    writeParquet(bucket.resolve("part-a-0.parquet"), 2, "pii-v1");
    writeParquet(bucket.resolve("part-a-1.parquet"), 3, "pii-v1");
    FooterCache.Reader counting =
        (file, policies) -> {
          footerReads.add(file.getFileName());
          return ParquetFooter.read(file, policies);
        };
    catalog =
        new DatasetCatalog(
            root,
            Clock.systemUTC(),
            FileSync.FSYNC,
            new FooterCache(100, counting, FooterCache.Stamp::of));
  }

  @Test
  void aSecondListingOfUnchangedFilesReadsNoFooter() {
    assertThat(catalog.list()).containsExactly(new DatasetSummary("sft", 2, 5, 0));
    assertThat(footerReads).hasSize(2);

    assertThat(catalog.list()).containsExactly(new DatasetSummary("sft", 2, 5, 0));
    assertThat(footerReads).hasSize(2);
  }

  @Test
  void aNewFileIsReadAndTheOthersAreNot() throws Exception {
    catalog.list();
    footerReads.clear();

    writeParquet(bucket.resolve("part-a-2.parquet"), 4, "pii-v1");

    assertThat(catalog.list()).containsExactly(new DatasetSummary("sft", 3, 9, 0));
    assertThat(footerReads).containsExactly(Path.of("part-a-2.parquet"));
  }

  @Test
  void aFileRewrittenInPlaceIsReadAgain() throws Exception {
    catalog.list();
    footerReads.clear();

    Path file = bucket.resolve("part-a-1.parquet");
    Path other = root.resolve("other.parquet");
    writeParquet(other, 7, "pii-v1");
    // Same path and inode, other bytes: size and modification time change.
    Files.write(file, Files.readAllBytes(other), StandardOpenOption.TRUNCATE_EXISTING);

    assertThat(catalog.list()).containsExactly(new DatasetSummary("sft", 2, 9, 0));
    assertThat(footerReads).containsExactly(Path.of("part-a-1.parquet"));
  }

  @Test
  void aCutReadsEveryFooterAfreshAndAListingAfterItReadsNone() {
    catalog.list();
    footerReads.clear();

    DatasetVersion v1 = catalog.cut("sft", Lineage.unknown(), ProgressListener.NONE);

    assertThat(v1.totalRows()).isEqualTo(5);
    assertThat(footerReads).hasSize(2);
    footerReads.clear();
    assertThat(catalog.list()).containsExactly(new DatasetSummary("sft", 2, 5, 1));
    assertThat(footerReads).isEmpty();
  }
}
