package dev.agentfactory.connectors.dataset.version;

import java.util.Optional;

/**
 * What a cut of a dataset would start from now, found without reading a data file ({@link
 * DatasetCatalog#preview(String)}): a caller shows the totals before the cut runs, and answers with
 * the latest version instead of cutting when nothing changed since it.
 *
 * @param files the committed files a cut would list now
 * @param bytes their sizes summed, the bytes a cut would read
 * @param unchangedLatest the latest version when it lists exactly these committed files and knew
 *     exactly these withdrawals, so a cut would publish an identical version; else null
 */
public record CutPreview(int files, long bytes, DatasetVersion unchangedLatest) {

  /** A dataset without committed files: nothing to cut. */
  public static final CutPreview NOTHING = new CutPreview(0, 0, null);

  /** The latest version if cutting again would only copy it. */
  public Optional<DatasetVersion> unchanged() {
    return Optional.ofNullable(unchangedLatest);
  }
}
