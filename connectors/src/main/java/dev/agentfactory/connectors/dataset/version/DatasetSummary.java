package dev.agentfactory.connectors.dataset.version;

/**
 * A dataset as it stands now (not as of a version).
 *
 * @param name the dataset name, also its directory
 * @param committedFiles finished {@code part-*} files on disk now
 * @param totalRows rows in those files
 * @param latestVersion the highest version number, 0 when none was cut yet
 */
public record DatasetSummary(String name, int committedFiles, long totalRows, int latestVersion) {}
