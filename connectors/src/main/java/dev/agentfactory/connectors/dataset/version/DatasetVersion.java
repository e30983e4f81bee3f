package dev.agentfactory.connectors.dataset.version;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An immutable manifest of a dataset's finished files at one moment: what {@code
 * <dataset>/_versions/v<N>.json} holds. See {@code docs/datasets.md} for the JSON.
 *
 * @param format the manifest format version, {@link #FORMAT}
 * @param dataset the dataset name
 * @param version the version number, 1, 2, ...
 * @param createdAt when the cut published the manifest (millisecond precision)
 * @param schema the schema all files share
 * @param lineage the job, checkpoint, scrub policies and judge that produced the rows
 * @param files the files, sorted by path
 * @param withdrawnExamples how many withdrawn example ids the cut knew (docs/datasets.md,
 *     "Withdrawn rows"); the rows it left out are {@link #excludedRows()}
 */
public record DatasetVersion(
    int format,
    String dataset,
    int version,
    Instant createdAt,
    DatasetSchema schema,
    Lineage lineage,
    List<DatasetFile> files,
    long withdrawnExamples) {

  /** The manifest format this code writes. */
  public static final int FORMAT = 1;

  public DatasetVersion {
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(createdAt, "created_at");
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(lineage, "lineage");
    if (version < 1) {
      throw new IllegalArgumentException("version must be >= 1: " + version);
    }
    files = List.copyOf(files);
  }

  /** A version without withdrawals. */
  public DatasetVersion(
      int format,
      String dataset,
      int version,
      Instant createdAt,
      DatasetSchema schema,
      Lineage lineage,
      List<DatasetFile> files) {
    this(format, dataset, version, createdAt, schema, lineage, files, 0);
  }

  /** Rows left out of the version's files because they were withdrawn. */
  public long excludedRows() {
    return files.stream().mapToLong(DatasetFile::excludedRows).sum();
  }

  /** Rows over all files. */
  public long totalRows() {
    return files.stream().mapToLong(DatasetFile::rows).sum();
  }

  /** Bytes over all files. */
  public long totalBytes() {
    return files.stream().mapToLong(DatasetFile::sizeBytes).sum();
  }
}
