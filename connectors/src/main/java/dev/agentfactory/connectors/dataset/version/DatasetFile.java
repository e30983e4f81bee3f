package dev.agentfactory.connectors.dataset.version;

import java.util.Objects;

/**
 * One file of a dataset version.
 *
 * @param path relative to the dataset directory, {@code /}-separated, e.g. {@code
 *     2026-01-02--03/part-0a1b-0.parquet}
 * @param sizeBytes the file's size when the version was cut
 * @param rows the row count from the Parquet footer
 * @param sha256 the lower-case hex SHA-256 of the file's bytes (as {@code sha256sum} prints it)
 * @param source null for a committed file as the pipeline wrote it; for a copy the cut made without
 *     withdrawn rows (under {@code _filtered/}), the committed file it was copied from
 * @param excludedRows rows of {@code source} left out of the copy because they were withdrawn
 */
public record DatasetFile(
    String path, long sizeBytes, long rows, String sha256, String source, long excludedRows) {

  public DatasetFile {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(sha256, "sha256");
    if ((source == null) != (excludedRows == 0)) {
      throw new IllegalArgumentException(
          "a file has a source exactly when rows were excluded from it: " + path);
    }
  }

  /** A committed file listed as it is. */
  public DatasetFile(String path, long sizeBytes, long rows, String sha256) {
    this(path, sizeBytes, rows, sha256, null, 0);
  }
}
