package dev.agentfactory.connectors.dataset.version;

import java.util.List;

/**
 * A dataset as it stands now (not as of a version).
 *
 * @param name the dataset name, also its directory
 * @param committedFiles finished {@code part-*} files on disk now, unreadable ones included
 * @param totalRows rows in the readable ones
 * @param latestVersion the highest version number, 0 when none was cut yet
 * @param unreadableFiles committed files whose Parquet footer could not be read, by path: their
 *     rows are not counted, and a cut of the dataset fails until they are moved away (or, for a
 *     passing I/O failure, can be read again)
 */
public record DatasetSummary(
    String name,
    int committedFiles,
    long totalRows,
    int latestVersion,
    List<UnreadableFile> unreadableFiles) {

  public DatasetSummary {
    unreadableFiles = List.copyOf(unreadableFiles);
  }

  /** A summary whose every committed file could be read. */
  public DatasetSummary(String name, int committedFiles, long totalRows, int latestVersion) {
    this(name, committedFiles, totalRows, latestVersion, List.of());
  }

  /**
   * A committed file a listing could not read.
   *
   * @param path relative to the dataset directory, as a version would list it
   * @param reason why, e.g. {@code "... is not a Parquet file ..."}
   */
  public record UnreadableFile(String path, String reason) {}
}
