package dev.agentfactory.edge.dataset;

import dev.agentfactory.connectors.dataset.DatasetKind;
import dev.agentfactory.connectors.dataset.version.DatasetCatalog;
import dev.agentfactory.connectors.dataset.version.Lineage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code /v1/datasets}: the datasets the pipeline writes (one per {@link DatasetKind}, named after
 * the kind: {@code sft}, {@code preference}, {@code unpaired}, {@code rft}, {@code eval}), their
 * immutable versions (manifests of committed files with rows, schema, checksums, lineage) and the
 * files themselves. Catalog work reads files, so it runs on a named worker pool. Admin key only:
 * datasets are not yet split per tenant.
 */
public final class DatasetsHandler {

  private final WorkerExecutor worker;
  private final DatasetCuts cuts;
  private final DatasetListing listing;
  private final DatasetDownload download;

  /** Called on the worker after each cut preview: tests end a running cut there. */
  volatile Consumer<String> afterPreview = name -> {};

  /**
   * Called on the worker with each file a download resolved, just before it is sent: tests delete
   * it here to show the answer to a file that vanishes in between.
   */
  volatile Consumer<Path> beforeSend = file -> {};

  /**
   * {@code lineage} says which job, checkpoint, savepoint and judge produced the files; a cut asks
   * it right after listing the files, on a worker thread (it may block). {@code cutsDir} keeps the
   * cuts' status across restarts; the constructor reads it (blocking: call it at start-up) and
   * records cuts a node stop left {@code running} as failed ({@code interrupted}).
   */
  public DatasetsHandler(Vertx vertx, Path datasetsRoot, Supplier<Lineage> lineage, Path cutsDir) {
    DatasetCatalog catalog = new DatasetCatalog(datasetsRoot);
    this.worker = vertx.createSharedWorkerExecutor("af-datasets", 2);
    DatasetWork work = new DatasetWork(datasetsRoot, worker);
    this.cuts =
        new DatasetCuts(
            vertx, catalog, lineage, cutsDir, worker, work, name -> afterPreview.accept(name));
    this.listing = new DatasetListing(catalog, work, cuts);
    this.download = new DatasetDownload(catalog, work, worker, file -> beforeSend.accept(file));
  }

  /**
   * Every dataset on disk plus every dataset kind the pipeline writes (with zero files until its
   * first rows are committed), each with its kind and the progress of a cut running now.
   */
  public void list(RoutingContext ctx) {
    listing.list(ctx);
  }

  /**
   * Starts cutting a version in the background and answers at once: 202 with the cut's state and
   * {@code Location: /v1/datasets/{name}/cuts/{id}}. A POST while a cut of the same dataset runs
   * answers that cut (202, same id) instead of starting another, so a retried request never makes
   * two versions; one when the latest version already lists exactly the committed files and
   * withdrawals ({@link DatasetCatalog#preview}) answers 200 with that version and starts nothing,
   * so cutting an unchanged dataset again never makes an identical version. Before starting: 400
   * {@code invalid_name}, 404 {@code not_found} (no dataset or no committed file). Failures of the
   * cut itself show on the cut ({@code state: failed}, {@code error.code}).
   */
  public void cut(RoutingContext ctx) {
    cuts.cut(ctx);
  }

  /** {@code GET /v1/datasets/{name}/cuts/{id}}: a running or recent cut. */
  public void cutStatus(RoutingContext ctx) {
    cuts.cutStatus(ctx);
  }

  /**
   * A page of the dataset's versions, oldest first ({@link PageRequest}: {@code limit}, {@code
   * cursor}), reading only the manifests the page needs. A manifest that cannot be read (corrupt,
   * or of a newer format a node sharing the directory wrote) does not fail the listing: the page
   * names it in {@code unreadable_versions} and lists the others, as the dataset listing does with
   * unreadable files.
   */
  public void versions(RoutingContext ctx) {
    listing.versions(ctx);
  }

  /** One version's manifest. */
  public void version(RoutingContext ctx) {
    listing.version(ctx);
  }

  /**
   * A file of a version, only if the version lists it. One byte range ({@code Range: bytes=...})
   * answers 206 with that part, so a broken download resumes ({@link ByteRange}); a file that
   * cannot be sent after all (it vanished since it was resolved, or cannot be opened) answers 404
   * or 500 like one that was missing from the start, never no answer.
   */
  public void file(RoutingContext ctx) {
    download.file(ctx);
  }

  /**
   * Stops running cuts at their next progress report (they are recorded as failed, {@code
   * interrupted}; a cut publishes its version completely or not at all), waits up to {@value
   * DatasetCuts#CLOSE_WAIT_MS} ms for their records, then closes the worker pools.
   */
  public Future<Void> close() {
    return cuts.stop().transform(ar -> Future.join(worker.close(), cuts.closeWorker())).mapEmpty();
  }
}
