package dev.agentfactory.connectors.dataset.version;

/**
 * Progress of a cut or a verification, reported from the calling thread after each file and every
 * few megabytes within a file. Implementations must be cheap and must not throw.
 *
 * <pre>{@code
 * catalog.cut("sft", lineage, (files, filesTotal, bytes, bytesTotal) ->
 *     job.progress(bytesTotal == 0 ? 1.0 : (double) bytes / bytesTotal));
 * }</pre>
 */
@FunctionalInterface
public interface ProgressListener {

  /** Ignores progress. */
  ProgressListener NONE = (filesDone, filesTotal, bytesDone, bytesTotal) -> {};

  void onProgress(int filesDone, int filesTotal, long bytesDone, long bytesTotal);

  /** Rows in the files done so far; a cut reports it after each file (from its footer). */
  default void onRows(long rowsDone) {}
}
