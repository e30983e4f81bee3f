package dev.agentfactory.connectors.dataset.version;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Dataset versions over a datasets root laid out as {@code <root>/<dataset>/<bucket>/part-*}, with
 * manifests in {@code <root>/<dataset>/_versions/v<N>.json}. Every method blocks on file I/O: call
 * it from a worker pool, never an event loop. Instances are thread-safe; several processes may
 * share one root. An instance caches the Parquet footers it read (see {@link FooterCache}), so a
 * listing reads only the footers of files that are new or changed since the last; share one
 * instance per root.
 *
 * <pre>{@code
 * DatasetCatalog catalog = new DatasetCatalog(dataDir.resolve("datasets"));
 * DatasetVersion v = catalog.cut("sft", new Lineage(jobId, checkpointId, null, List.of(), null),
 *     ProgressListener.NONE);
 * Path file = catalog.resolveFile("sft", v.version(), v.files().get(0).path());
 * }</pre>
 *
 * <p>Concurrency: a cut takes version number latest+1 when it starts and publishes it only if no
 * other cut did so meanwhile; the loser fails with {@code conflict} (retriable) rather than
 * renumbering, so version N+1 always snapshots files after version N was published. A published
 * manifest is never rewritten or deleted by this class.
 */
public final class DatasetCatalog {

  /**
   * How many files' footers an instance keeps (a few hundred bytes each: files with one schema
   * share it). Past this, the least recently used are read again when next needed.
   */
  static final int FOOTER_CACHE_FILES = 50_000;

  private final Path root;
  private final FooterCache footers;
  private final VersionCut cuts;

  public DatasetCatalog(Path datasetsRoot) {
    this(datasetsRoot, Clock.systemUTC(), FileSync.FSYNC);
  }

  DatasetCatalog(Path datasetsRoot, Clock clock, FileSync sync) {
    this(datasetsRoot, clock, sync, new FooterCache(FOOTER_CACHE_FILES));
  }

  DatasetCatalog(Path datasetsRoot, Clock clock, FileSync sync, FooterCache footers) {
    this.root = datasetsRoot.toAbsolutePath().normalize();
    this.footers = footers;
    this.cuts = new VersionCut(root, clock, sync, footers);
  }

  /**
   * Every dataset directory under the root, by name, with what is committed now. A committed file
   * whose footer cannot be read (not Parquet, or the read failed) does not fail the listing: it is
   * named in its dataset's {@link DatasetSummary#unreadableFiles()} and its rows are not counted.
   *
   * @throws DatasetException {@code io_error} if a directory cannot be listed
   */
  public List<DatasetSummary> list() {
    List<DatasetSummary> out = new ArrayList<>();
    for (Path dir : datasetDirs()) {
      String name = dir.getFileName().toString();
      List<String> files = VersionCut.committedFiles(name, dir);
      long rows = 0;
      List<DatasetSummary.UnreadableFile> unreadable = new ArrayList<>();
      for (String file : files) {
        try {
          rows += cachedFooter(name, dir, file).rows();
        } catch (DatasetException e) {
          unreadable.add(new DatasetSummary.UnreadableFile(file, e.getMessage()));
        }
      }
      out.add(
          new DatasetSummary(name, files.size(), rows, Manifests.latest(name, dir), unreadable));
    }
    return out;
  }

  /**
   * Cuts the next version: a manifest of every file committed now, with row counts, schema,
   * checksums and lineage. Reads the files, never modifies them.
   *
   * @param lineage its scrub policies are replaced by the {@code scrub_policy_version} column's
   *     distinct values when the files have that column
   * @throws DatasetException {@code not_found} if the dataset or its files do not exist, {@code
   *     conflict} if another cut published the same number first or files disagree on their schema,
   *     {@code io_error} if a file cannot be read or the manifest cannot be written
   */
  public DatasetVersion cut(String name, Lineage lineage, ProgressListener progress) {
    return cut(name, () -> lineage, progress);
  }

  /**
   * As {@link #cut(String, Lineage, ProgressListener)}, asking {@code lineage} right after the
   * committed files were listed: e.g. for the latest completed checkpoint, which then committed
   * every listed file (or an earlier one did).
   */
  public DatasetVersion cut(
      String name, Supplier<Lineage> lineageSource, ProgressListener progress) {
    return cuts.cut(name, datasetDir(name), lineageSource, progress);
  }

  /**
   * One version's manifest, empty if the dataset has no such version.
   *
   * @throws DatasetException {@code not_found} if the dataset does not exist
   */
  public Optional<DatasetVersion> version(String name, int n) {
    Path dir = datasetDir(name);
    if (n < 1) {
      return Optional.empty();
    }
    return Manifests.read(name, dir, n);
  }

  /**
   * All versions of a dataset, oldest first.
   *
   * @throws DatasetException {@code not_found} if the dataset does not exist
   */
  public List<DatasetVersion> versions(String name) {
    Path dir = datasetDir(name);
    List<DatasetVersion> out = new ArrayList<>();
    for (int n : Manifests.numbers(name, dir)) {
      version(name, n).ifPresent(out::add);
    }
    return out;
  }

  /**
   * The numbers of a dataset's published versions, ascending, from the manifests' names alone (none
   * is read): a listing reads only the manifests of the page it answers, and one that cannot be
   * read does not hide the others.
   *
   * @throws DatasetException {@code not_found} if the dataset does not exist
   */
  public List<Integer> versionNumbers(String name) {
    return Manifests.numbers(name, datasetDir(name));
  }

  /**
   * Removes the copies without withdrawn rows ({@code <dataset>/_filtered/}) that no published
   * version lists: those of cuts that failed before they could clean up, or that a crash or kill
   * interrupted. Copies of a cut still running (in this process or another sharing the root) are
   * left alone, and a dataset with a manifest that cannot be read is skipped whole, so a listed
   * file is never removed. A node runs this at start, after it marked its interrupted cuts.
   *
   * @return the removed files, as {@code <dataset>/<path>}
   * @throws DatasetException {@code io_error} if the datasets cannot be listed or a file cannot be
   *     removed
   */
  public List<String> removeOrphanCopies() {
    return removeOrphanCopies(() -> {});
  }

  /** As {@link #removeOrphanCopies()}, running {@code listedEntries} as the sweep may (tests). */
  List<String> removeOrphanCopies(Runnable listedEntries) {
    List<String> removed = new ArrayList<>();
    for (Path dir : datasetDirs()) {
      String name = dir.getFileName().toString();
      if (!Files.isDirectory(dir.resolve(WithdrawnRows.FILTERED_DIR), LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      Manifests.ListedPaths listed = new Manifests.ListedPaths(name, dir, n -> version(name, n));
      try {
        listed.get(); // every manifest readable, or none of the dataset's files is removed
        for (String path : FilteredCopies.removeOrphans(dir, listed, listedEntries)) {
          removed.add(name + "/" + path);
        }
      } catch (DatasetException e) {
        // an unreadable manifest may list any copy: keep them all
      } catch (IOException e) {
        throw DatasetException.io("cannot remove orphan copies of dataset '" + name + "'", e);
      }
    }
    return removed;
  }

  /** The dataset directories under the root, by name. */
  private List<Path> datasetDirs() {
    List<Path> dirs = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return dirs;
    }
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(root)) {
      for (Path dir : stream) {
        if (DatasetName.isValid(dir.getFileName().toString())
            && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
          dirs.add(dir);
        }
      }
    } catch (IOException e) {
      throw DatasetException.io("cannot list datasets under " + root, e);
    }
    dirs.sort(null);
    return dirs;
  }

  /**
   * The real path of a file listed in a version, for download.
   *
   * @param relativePath exactly as the manifest lists it
   * @throws DatasetException {@code invalid_name} for an absolute path, {@code ..}, or a file that
   *     resolves outside the dataset directory (a symbolic link); {@code not_found} for a missing
   *     dataset, version or file, or a path the version does not list
   */
  public Path resolveFile(String name, int version, String relativePath) {
    requireRelative(name, relativePath);
    DatasetVersion v = requireVersion(name, version);
    if (v.files().stream().noneMatch(f -> f.path().equals(relativePath))) {
      throw DatasetException.notFound(
          DatasetException.Subject.FILE,
          "file '"
              + relativePath
              + "' is not listed in version "
              + version
              + " of dataset '"
              + name
              + "'");
    }
    return realFileInside(name, version, relativePath);
  }

  /**
   * Recomputes every file's checksum and reports files that changed or vanished.
   *
   * @throws DatasetException {@code not_found} for a missing dataset or version
   */
  public VerifyReport verify(String name, int n, ProgressListener progress) {
    DatasetVersion v = requireVersion(name, n);
    List<VerifyReport.Problem> problems = new ArrayList<>();
    long bytesTotal = v.totalBytes();
    long[] bytesDone = {0};
    int filesDone = 0;
    for (DatasetFile file : v.files()) {
      Path real;
      try {
        real = realFileInside(name, n, file.path());
      } catch (DatasetException e) {
        problems.add(
            new VerifyReport.Problem(file.path(), VerifyReport.Kind.MISSING, file.sha256(), null));
        bytesDone[0] += file.sizeBytes();
        progress.onProgress(++filesDone, v.files().size(), bytesDone[0], bytesTotal);
        continue;
      }
      int done = filesDone;
      String sha =
          FileChecksum.sha256(
              name,
              real,
              file.path(),
              bytes -> {
                bytesDone[0] += bytes;
                progress.onProgress(done, v.files().size(), bytesDone[0], bytesTotal);
              });
      if (!sha.equals(file.sha256())) {
        problems.add(
            new VerifyReport.Problem(file.path(), VerifyReport.Kind.CHANGED, file.sha256(), sha));
      }
      progress.onProgress(++filesDone, v.files().size(), bytesDone[0], bytesTotal);
    }
    return new VerifyReport(name, n, v.files().size(), problems);
  }

  /** {@link #verify(String, int, ProgressListener)} without progress. */
  public VerifyReport verify(String name, int n) {
    return verify(name, n, ProgressListener.NONE);
  }

  /**
   * What a cut of {@code name} would version now, checked before starting one: the committed files
   * and their bytes (a directory walk and a stat per file), and whether the latest version already
   * lists exactly them. Unchanged means the same committed paths, each file listed as it is with
   * the same size (a filtered copy stands for its {@code source}), none modified after the
   * version's manifest was written (a file rewritten in place at the same size), and as many
   * withdrawn examples as the version knew; data files are not read or hashed (committed files are
   * never rewritten, and withdrawals only grow). The lineage is not compared: a later checkpoint
   * that committed no file changed no row.
   *
   * @throws DatasetException {@code invalid_name} for a bad name, {@code not_found} if the dataset
   *     does not exist, {@code io_error} if a file vanished or a manifest or withdrawal is
   *     unreadable
   */
  public CutPreview preview(String name) {
    Path dir = datasetDir(name);
    List<String> paths = VersionCut.committedFiles(name, dir);
    Map<String, BasicFileAttributes> stats = new HashMap<>();
    long bytes = 0;
    for (String path : paths) {
      BasicFileAttributes stat = VersionCut.stat(name, dir, path);
      stats.put(path, stat);
      bytes += stat.size();
    }
    Optional<DatasetVersion> latest = paths.isEmpty() ? Optional.empty() : latest(name, dir);
    boolean unchanged =
        latest.isPresent()
            && listsExactly(latest.get(), stats, Manifests.written(dir, latest.get().version()))
            && VersionCut.withdrawn(root, name).size() == latest.get().withdrawnExamples();
    return new CutPreview(paths.size(), bytes, unchanged ? latest.get() : null);
  }

  /**
   * The latest version, or none if its manifest cannot be read: such a version is never the one to
   * answer instead of a cut, and the cut (which does not read it) publishes the next number as
   * before.
   */
  private Optional<DatasetVersion> latest(String name, Path dir) {
    try {
      return version(name, Manifests.latest(name, dir));
    } catch (DatasetException unreadable) {
      return Optional.empty();
    }
  }

  /**
   * Whether {@code version} lists exactly the committed files of {@code stats}, as they are now:
   * none modified after the manifest was {@code written}. A committed file keeps the time it was
   * written before its commit renamed it into place, so only a file rewritten in place is newer,
   * whatever its size.
   */
  private static boolean listsExactly(
      DatasetVersion version, Map<String, BasicFileAttributes> stats, FileTime written) {
    if (written == null || version.files().size() != stats.size()) {
      return false;
    }
    for (DatasetFile file : version.files()) {
      String committed = file.source() == null ? file.path() : file.source();
      BasicFileAttributes stat = stats.get(committed);
      if (stat == null
          || stat.lastModifiedTime().compareTo(written) > 0
          || (file.source() == null && stat.size() != file.sizeBytes())) {
        return false;
      }
    }
    return true;
  }

  private Path datasetDir(String name) {
    Path dir = root.resolve(DatasetName.requireValid(name));
    if (!Files.isDirectory(dir)) {
      throw DatasetException.notFound(
          DatasetException.Subject.DATASET, "dataset '" + name + "' does not exist");
    }
    return dir;
  }

  private DatasetVersion requireVersion(String name, int n) {
    return version(name, n)
        .orElseThrow(
            () ->
                DatasetException.notFound(
                    DatasetException.Subject.VERSION,
                    "dataset '" + name + "' has no version " + n));
  }

  /** Row count and schema, from the cache while the file is unchanged (listings). */
  private ParquetFooter cachedFooter(String name, Path dir, String path) {
    try {
      return footers.get(dir.resolve(path), false);
    } catch (IOException | RuntimeException e) {
      throw VersionCut.unreadableFooter(name, path, e);
    }
  }

  private static void requireRelative(String name, String path) {
    // Where a backslash separates path segments (Windows), ..\ would climb out; elsewhere it is
    // a character of a file name like any other, and a committed file may hold it.
    boolean bad =
        path == null
            || path.isEmpty()
            || path.startsWith("/")
            || (File.separatorChar == '\\' && path.contains("\\"));
    if (!bad) {
      for (String segment : path.split("/", -1)) {
        bad |= segment.isEmpty() || segment.equals(".") || segment.equals("..");
      }
      bad |= path.indexOf('\0') >= 0;
    }
    if (bad) {
      throw DatasetException.invalidName(
          DatasetException.Subject.FILE,
          "invalid file path '" + path + "' for dataset '" + name + "': not a plain relative path");
    }
  }

  // The file's real path, refused if a symbolic link anywhere leads outside the dataset directory.
  private Path realFileInside(String name, int version, String relativePath) {
    Path dir = datasetDir(name);
    try {
      Path realDir = dir.toRealPath();
      Path real = dir.resolve(relativePath).toRealPath();
      if (!real.startsWith(realDir)) {
        throw DatasetException.invalidName(
            DatasetException.Subject.FILE,
            "file '" + relativePath + "' of dataset '" + name + "' resolves outside the dataset");
      }
      if (!Files.isRegularFile(real)) {
        throw DatasetException.notFound(
            DatasetException.Subject.FILE,
            "file '" + relativePath + "' of dataset '" + name + "' is not a regular file");
      }
      return real;
    } catch (NoSuchFileException e) {
      throw DatasetException.notFound(
          DatasetException.Subject.FILE,
          "file '"
              + relativePath
              + "' of dataset '"
              + name
              + "' version "
              + version
              + " no longer exists");
    } catch (IOException e) {
      throw DatasetException.io("cannot resolve '" + relativePath + "' in '" + name + "'", e);
    }
  }
}
