package dev.agentfactory.connectors.dataset.version;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.parquet.schema.MessageType;

/**
 * Cuts the next version of a dataset for {@link DatasetCatalog}: reads every committed file's
 * footer and checksum, copies the files that hold withdrawn rows without them, and publishes the
 * manifest. Also what a cut and the catalog's listings share: the committed files of a dataset,
 * their attributes, the withdrawals and footer failures, as {@link DatasetException}s naming the
 * dataset.
 */
final class VersionCut {

  private final Path root;
  private final Clock clock;
  private final FileSync sync;
  private final FooterCache footers;

  VersionCut(Path root, Clock clock, FileSync sync, FooterCache footers) {
    this.root = root;
    this.clock = clock;
    this.sync = sync;
    this.footers = footers;
  }

  /**
   * Cuts and publishes the next version of the dataset {@code name} in {@code dir}, asking {@code
   * lineageSource} right after the committed files were listed (see {@link
   * DatasetCatalog#cut(String, Supplier, ProgressListener)}).
   */
  DatasetVersion cut(
      String name, Path dir, Supplier<Lineage> lineageSource, ProgressListener progress) {
    int number = Manifests.latest(name, dir) + 1;
    List<String> paths = committedFiles(name, dir);
    if (paths.isEmpty()) {
      throw DatasetException.notFound(
          DatasetException.Subject.DATASET,
          "dataset '" + name + "' has no committed files to version");
    }
    // Listed before the lineage is asked, like the data files: the checkpoint it names committed
    // every withdrawal applied here (or an earlier one did).
    Set<String> withdrawn = withdrawn(root, name);
    Lineage lineage = lineageSource.get();
    String copiesId = "v" + number + "-" + UUID.randomUUID().toString().substring(0, 8);
    String filteredPrefix = WithdrawnRows.FILTERED_DIR + "/" + copiesId + "/";
    FilteredCopies copies = null;
    if (!withdrawn.isEmpty()) {
      try {
        copies = FilteredCopies.begin(dir, copiesId);
      } catch (IOException e) {
        throw DatasetException.io("cannot lock the copies of dataset '" + name + "'", e);
      }
    }
    try {
      DatasetVersion version =
          cutFiles(name, dir, number, paths, withdrawn, lineage, filteredPrefix, progress);
      if (copies != null) {
        try {
          copies.sync(sync);
        } catch (IOException e) {
          throw DatasetException.io("cannot sync the copies of dataset '" + name + "'", e);
        }
      }
      Manifests.publish(name, dir, number, ManifestCodec.encode(version), sync);
      if (copies != null) {
        copies.finish();
      }
      return version;
    } catch (RuntimeException | Error e) {
      // A version that is not published lists no copy: this cut's copies are orphans.
      if (copies != null) {
        copies.abandon(e);
      }
      throw e;
    }
  }

  /** The version of the listed files, with copies written where rows are withdrawn; unpublished. */
  private DatasetVersion cutFiles(
      String name,
      Path dir,
      int number,
      List<String> paths,
      Set<String> withdrawn,
      Lineage lineage,
      String filteredPrefix,
      ProgressListener progress) {
    Path target = Manifests.path(dir, number);
    long bytesTotal = 0;
    for (String path : paths) {
      bytesTotal += stat(name, dir, path).size();
    }
    progress.onProgress(0, paths.size(), 0, bytesTotal); // the totals, before the first byte

    List<DatasetFile> files = new ArrayList<>(paths.size());
    Set<String> policies = new TreeSet<>();
    boolean policyColumn = false;
    ParquetFooter first = null;
    String firstPath = null;
    long[] bytesDone = {0};
    long rowsDone = 0;
    for (String path : paths) {
      ParquetFooter footer = freshFooter(name, dir, path);
      if (first == null) {
        first = footer;
        firstPath = path;
      } else if (!sameSchema(first.schema(), footer.schema())) {
        throw DatasetException.permanentConflict(
            "dataset '"
                + name
                + "': files "
                + firstPath
                + " and "
                + path
                + " have different Parquet schemas; a version needs one schema");
      }
      policyColumn |= ParquetFooter.scrubPolicyColumn(footer.schema()) != null;
      policies.addAll(footer.scrubPolicies());
      int filesDone = files.size();
      long total = bytesTotal;
      long before = bytesDone[0];
      String sha =
          FileChecksum.sha256(
              name,
              dir.resolve(path),
              path,
              n -> {
                bytesDone[0] += n;
                progress.onProgress(filesDone, paths.size(), bytesDone[0], total);
              });
      DatasetFile file = new DatasetFile(path, bytesDone[0] - before, footer.rows(), sha);
      if (!withdrawn.isEmpty()) {
        file = withoutWithdrawn(name, dir, file, footer, withdrawn, filteredPrefix + path);
      }
      files.add(file);
      rowsDone += file.rows();
      progress.onRows(rowsDone);
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        throw Manifests.lostRace(name, number);
      }
    }
    progress.onProgress(files.size(), paths.size(), bytesDone[0], bytesTotal);

    return new DatasetVersion(
        DatasetVersion.FORMAT,
        name,
        number,
        clock.instant().truncatedTo(ChronoUnit.MILLIS),
        new DatasetSchema(first.schema().toString(), first.avroSchema()),
        policyColumn ? lineage.withScrubPolicies(List.copyOf(policies)) : lineage,
        files,
        withdrawn.size());
  }

  /**
   * {@code file} as it is if none of its rows is withdrawn, else a copy without them at {@code
   * copyPath} (relative to the dataset directory), which must have the same Parquet schema.
   */
  private static DatasetFile withoutWithdrawn(
      String name,
      Path dir,
      DatasetFile file,
      ParquetFooter footer,
      Set<String> withdrawn,
      String copyPath) {
    Path source = dir.resolve(file.path());
    Path copy = dir.resolve(copyPath);
    try {
      if (WithdrawnRows.count(source, footer.schema(), withdrawn) == 0) {
        return file;
      }
      long rows = WithdrawnRows.copyWithout(source, copy, footer.avroSchema(), withdrawn);
      ParquetFooter copied = ParquetFooter.read(copy, false);
      if (copied.rows() != rows || !sameSchema(copied.schema(), footer.schema())) {
        throw DatasetException.io(
            "the copy of '" + file.path() + "' without withdrawn rows differs in schema or rows",
            null);
      }
      return new DatasetFile(
          copyPath,
          Files.size(copy),
          rows,
          FileChecksum.sha256(copy, n -> {}),
          file.path(),
          footer.rows() - rows);
    } catch (IOException | RuntimeException e) {
      if (e instanceof DatasetException d) {
        throw d;
      }
      throw DatasetException.io(
          "cannot copy '" + file.path() + "' of dataset '" + name + "' without withdrawn rows", e);
    }
  }

  /**
   * The footer with the scrub policies, read now (cuts): a manifest is forever, and a cut reads
   * every byte for the checksum anyway. Left in the cache for the next listing.
   */
  private ParquetFooter freshFooter(String name, Path dir, String path) {
    try {
      return footers.read(dir.resolve(path), true);
    } catch (IOException | RuntimeException e) {
      throw unreadableFooter(name, path, e);
    }
  }

  private static boolean sameSchema(MessageType a, MessageType b) {
    return a.equals(b);
  }

  /** The example ids withdrawn from dataset {@code name}. */
  static Set<String> withdrawn(Path root, String name) {
    try {
      return WithdrawnRows.read(root, name);
    } catch (IOException | RuntimeException e) {
      throw DatasetException.io("cannot read the withdrawals of dataset '" + name + "'", e);
    }
  }

  /** The committed files of the dataset in {@code dir}, relative to it, sorted. */
  static List<String> committedFiles(String name, Path dir) {
    try {
      return CommittedFiles.scan(dir);
    } catch (IOException e) {
      throw DatasetException.io("cannot list files of dataset '" + name + "'", e);
    }
  }

  static BasicFileAttributes stat(String name, Path dir, String path) {
    try {
      return Files.readAttributes(dir.resolve(path), BasicFileAttributes.class);
    } catch (IOException e) {
      throw DatasetException.io("file '" + path + "' of dataset '" + name + "' vanished", e);
    }
  }

  /**
   * A footer that could not be read: an {@link IOException} may pass (retriable), while
   * parquet-java's RuntimeException says the bytes are no Parquet ("is not a Parquet file"), which
   * the next cut reads again just the same.
   */
  static DatasetException unreadableFooter(String name, String path, Exception e) {
    String message = "cannot read Parquet footer of '" + path + "' in dataset '" + name + "'";
    return e instanceof IOException
        ? DatasetException.io(message, e)
        : DatasetException.corrupt(message, e);
  }
}
