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
 */
public record DatasetFile(String path, long sizeBytes, long rows, String sha256) {

  public DatasetFile {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(sha256, "sha256");
  }
}
