package dev.agentfactory.connectors.dataset.version;

import java.util.List;

/**
 * The result of re-checking a version's files against its manifest.
 *
 * @param problems files that changed or vanished, in manifest order; empty when intact
 */
public record VerifyReport(String dataset, int version, int filesChecked, List<Problem> problems) {

  public VerifyReport {
    problems = List.copyOf(problems);
  }

  /** Whether every file is present with its recorded checksum. */
  public boolean intact() {
    return problems.isEmpty();
  }

  /** What is wrong with one file. */
  public enum Kind {
    /** The file is gone (or is no longer a regular file inside the dataset). */
    MISSING,
    /** The file's bytes differ from the recorded checksum. */
    CHANGED
  }

  /**
   * One file that failed verification.
   *
   * @param actualSha256 the checksum now, null when the file is missing
   */
  public record Problem(String path, Kind kind, String expectedSha256, String actualSha256) {}
}
