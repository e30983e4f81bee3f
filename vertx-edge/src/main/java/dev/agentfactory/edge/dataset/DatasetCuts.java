package dev.agentfactory.edge.dataset;

import dev.agentfactory.connectors.dataset.version.CutPreview;
import dev.agentfactory.connectors.dataset.version.DatasetCatalog;
import dev.agentfactory.connectors.dataset.version.DatasetException;
import dev.agentfactory.connectors.dataset.version.DatasetVersion;
import dev.agentfactory.connectors.dataset.version.Lineage;
import dev.agentfactory.connectors.dataset.version.ProgressListener;
import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.auth.Auth;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Version cuts of {@link DatasetsHandler}: started in the background on their own worker pool, one
 * at a time per dataset, recorded in a {@link DatasetCutStore} so their status survives a restart,
 * and stopped when the node stops.
 */
final class DatasetCuts {

  // The handler's logger: operators filter dataset messages by it.
  private static final Logger LOG = LoggerFactory.getLogger(DatasetsHandler.class);

  /** Finished cuts kept for their status URL. */
  static final int KEPT_CUTS = 100;

  /** How long a stopping node waits for its running cuts to record that they were cut short. */
  static final long CLOSE_WAIT_MS = 10_000;

  /** How often a running cut's progress is written to the store. */
  static final long SAVE_INTERVAL_MS = 1_000;

  private final DatasetCatalog catalog;
  private final DatasetCutStore store;
  private volatile boolean closing;
  private final Supplier<Lineage> lineage;
  private final Vertx vertx;
  private final WorkerExecutor worker;
  private final WorkerExecutor cutWorker;
  private final DatasetWork work;
  private final Consumer<String> afterPreview;
  private final Map<String, DatasetCut> running = new ConcurrentHashMap<>();

  /** How many cuts of each dataset ended on this node, so a decision sees a preview went stale. */
  private final Map<String, Integer> ended = new ConcurrentHashMap<>();

  /** The running cuts' completions, by cut id, so a stop can wait for their records. */
  private final Map<String, Future<Void>> runs = new ConcurrentHashMap<>();

  private final Map<String, DatasetCut> cuts =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, DatasetCut> eldest) {
          boolean evict = size() > KEPT_CUTS && !eldest.getValue().running();
          if (evict) {
            String evicted = eldest.getKey();
            worker
                .executeBlocking(
                    () -> {
                      store.delete(evicted);
                      return null;
                    },
                    false)
                .onFailure(e -> LOG.warn("cut record {} not deleted", evicted, e));
          }
          return evict;
        }
      };

  /**
   * Reads the cut records in {@code cutsDir} (blocking: call it at start-up), records cuts a node
   * stop left {@code running} as failed ({@code interrupted}) and removes orphan copies. {@code
   * afterPreview} is called on the worker after each cut preview (tests end a running cut there).
   */
  DatasetCuts(
      Vertx vertx,
      DatasetCatalog catalog,
      Supplier<Lineage> lineage,
      Path cutsDir,
      WorkerExecutor worker,
      DatasetWork work,
      Consumer<String> afterPreview) {
    this.catalog = catalog;
    this.store = new DatasetCutStore(cutsDir);
    try {
      for (DatasetCut cut : store.recover(KEPT_CUTS)) {
        cuts.put(cut.id(), cut);
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException("dataset cut records in " + cutsDir + " unreadable", e);
    }
    removeOrphanCopies();
    this.lineage = lineage;
    this.vertx = vertx;
    this.worker = worker;
    // Cuts read every byte; on their own pool, so listing and downloads stay responsive.
    this.cutWorker = vertx.createSharedWorkerExecutor("af-dataset-cuts", 2);
    this.work = work;
    this.afterPreview = afterPreview;
  }

  /**
   * Removes the copies without withdrawn rows that no published version lists (cuts that failed or
   * were interrupted; see {@link DatasetCatalog#removeOrphanCopies()}). Runs at start, after the
   * interrupted cuts were marked. A failure does not stop the node: the copies are unlisted, never
   * served, and the next start tries again.
   */
  private void removeOrphanCopies() {
    try {
      List<String> removed = catalog.removeOrphanCopies();
      if (!removed.isEmpty()) {
        LOG.info("removed {} orphan dataset copies of failed cuts: {}", removed.size(), removed);
      }
    } catch (DatasetException e) {
      LOG.warn("orphan dataset copies not removed (retried at the next start)", e);
    }
  }

  /** The progress of the cut of {@code dataset} running now, or null. */
  JsonObject progressJson(String dataset) {
    DatasetCut cut = running.get(dataset);
    return cut == null ? null : cut.toJson();
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
  void cut(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    Auth.requireAdmin(ctx, () -> preview(ctx, name));
  }

  /**
   * Previews the cut on the worker, then decides. A cut of the dataset that ended while the preview
   * was taken may have published what it saw as changed: the preview is taken again, so a request
   * that raced a finishing cut answers its version (200, unchanged) instead of cutting a copy.
   */
  private void preview(RoutingContext ctx, String name) {
    int endedBefore = ended.getOrDefault(name, 0);
    work.blocking(
        ctx,
        work.beforeFirstFile(
            name,
            () -> {
              CutPreview preview = catalog.preview(name);
              afterPreview.accept(name);
              return preview;
            },
            () -> CutPreview.NOTHING),
        preview -> start(ctx, name, preview, endedBefore));
  }

  private void start(RoutingContext ctx, String name, CutPreview preview, int endedBefore) {
    if (preview.files() == 0) {
      ApiErrors.send(
          ctx,
          404,
          "not_found",
          "dataset '" + name + "' has no committed files to version",
          "name");
      return;
    }
    DatasetCut cut;
    boolean started = false;
    synchronized (running) {
      cut = running.get(name);
      if (cut == null && ended.getOrDefault(name, 0) != endedBefore) {
        preview(ctx, name); // stale: a cut ended since
        return;
      }
      if (cut == null && preview.unchanged().isEmpty()) {
        cut = new DatasetCut(name, preview.files(), preview.bytes());
        running.put(name, cut);
        remember(cut);
        started = true;
      }
    }
    if (cut == null) {
      unchanged(ctx, preview.unchanged().orElseThrow());
      return;
    }
    if (!started) {
      accepted(ctx, cut);
      return;
    }
    // Recorded before the 202: a cut the client was told about survives a crash as a record.
    DatasetCut starting = cut;
    worker
        .executeBlocking(
            () -> {
              store.save(starting);
              return null;
            },
            false)
        .onSuccess(
            v -> {
              run(starting);
              accepted(ctx, starting);
            })
        .onFailure(
            e -> {
              running.remove(name, starting);
              synchronized (cuts) {
                cuts.remove(starting.id());
              }
              LOG.warn("dataset {}: cut not started, its record cannot be written", name, e);
              ApiErrors.send(
                  ctx, 500, "io_error", "the cut's status cannot be recorded: " + e, null);
            });
  }

  private static void accepted(RoutingContext ctx, DatasetCut cut) {
    ctx.response()
        .setStatusCode(202)
        .putHeader("location", cut.location())
        .putHeader("content-type", "application/json")
        .end(cut.toJson().encode());
  }

  /**
   * 200: the latest version is what a cut would publish now. Its number and manifest URL under the
   * names a finished cut gives them, so a client reads {@code version} either way.
   */
  private static void unchanged(RoutingContext ctx, DatasetVersion latest) {
    String url = DatasetCut.versionUrl(latest.dataset(), latest.version());
    ctx.response().putHeader("content-location", url);
    DatasetWork.json(
        ctx,
        200,
        new JsonObject()
            .put("dataset", latest.dataset())
            .put("unchanged", true)
            .put("version", latest.version())
            .put("version_url", url)
            .encode());
  }

  /** Thrown from the progress listener to stop a cut when the node stops. */
  private static final class NodeStopping extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NodeStopping() {
      super("the node is stopping", null, false, false);
    }
  }

  private void run(DatasetCut cut) {
    String name = cut.dataset();
    long[] savedAt = {System.nanoTime()};
    ProgressListener progress =
        new ProgressListener() {
          @Override
          public void onProgress(int filesDone, int filesTotal, long bytesDone, long total) {
            if (closing) {
              throw new NodeStopping();
            }
            int before = cut.filesDone();
            cut.onProgress(filesDone, filesTotal, bytesDone, total);
            if (System.nanoTime() - savedAt[0] > SAVE_INTERVAL_MS * 1_000_000) {
              savedAt[0] = System.nanoTime();
              save(cut);
            }
            if (filesDone != before && (filesDone == filesTotal || filesDone % 100 == 0)) {
              LOG.info(
                  "dataset {}: cut {} {}/{} files, {}/{} bytes",
                  name,
                  cut.id(),
                  filesDone,
                  filesTotal,
                  bytesDone,
                  total);
            }
          }

          @Override
          public void onRows(long rowsDone) {
            cut.onRows(rowsDone);
          }
        };
    Future<Void> done =
        cutWorker.executeBlocking(
            () -> {
              try {
                int version = catalog.cut(name, lineage, progress).version();
                cut.succeeded(version);
                LOG.info("dataset {}: cut {} published v{}", name, cut.id(), version);
              } catch (NodeStopping e) {
                cut.interrupted(
                    "the node stopped while this cut ran; no version was published by it: cut"
                        + " again");
                LOG.warn("dataset {}: cut {} stopped by the node's shutdown", name, cut.id());
              } catch (RuntimeException | Error e) {
                // Errors too (a class that fails to load, a stack overflow in a lineage source):
                // a cut's status ends, and its record says so, whatever stopped it.
                cut.failed(e);
                LOG.warn("dataset {}: cut {} failed", name, cut.id(), e);
              }
              save(cut);
              return null;
            },
            false);
    runs.put(cut.id(), done);
    done.onComplete(
        ar -> {
          synchronized (running) {
            // counted with the removal: a decision that finds no cut running sees it ended
            ended.merge(name, 1, Integer::sum);
            running.remove(name, cut);
          }
          runs.remove(cut.id());
        });
  }

  private void save(DatasetCut cut) {
    try {
      store.save(cut);
    } catch (java.io.IOException | RuntimeException e) {
      // The cut goes on; its record shows the last state written (a restart then reports it
      // interrupted rather than running).
      LOG.warn("dataset {}: cut {} status not recorded", cut.dataset(), cut.id(), e);
    }
  }

  private void remember(DatasetCut cut) {
    synchronized (cuts) {
      cuts.put(cut.id(), cut);
    }
  }

  /** {@code GET /v1/datasets/{name}/cuts/{id}}: a running or recent cut. */
  void cutStatus(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    String id = ctx.pathParam("id");
    Auth.requireAdmin(
        ctx,
        () -> {
          DatasetCut cut;
          synchronized (cuts) {
            cut = cuts.get(id);
          }
          if (cut == null || !cut.dataset().equals(name)) {
            ApiErrors.send(
                ctx,
                404,
                "not_found",
                "no cut "
                    + id
                    + " of dataset "
                    + name
                    + " on this node (the last "
                    + KEPT_CUTS
                    + " are kept)",
                "id");
          } else {
            DatasetWork.json(ctx, 200, cut.toJson().encode());
          }
        });
  }

  /**
   * Stops running cuts at their next progress report (they are recorded as failed, {@code
   * interrupted}; a cut publishes its version completely or not at all) and waits up to {@value
   * #CLOSE_WAIT_MS} ms for their records; never fails.
   */
  Future<Void> stop() {
    closing = true;
    List<Future<Void>> stopping = List.copyOf(runs.values());
    Promise<Void> waited = Promise.promise();
    Future.join(stopping).onComplete(ar -> waited.tryComplete());
    vertx.setTimer(CLOSE_WAIT_MS, t -> waited.tryComplete());
    return waited.future();
  }

  /** Closes the cut pool, after {@link #stop()}. */
  Future<Void> closeWorker() {
    return cutWorker.close();
  }
}
