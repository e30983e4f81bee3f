package dev.agentfactory.edge.dataset;

import dev.agentfactory.connectors.dataset.DatasetKind;
import dev.agentfactory.connectors.dataset.version.DatasetCatalog;
import dev.agentfactory.connectors.dataset.version.DatasetException;
import dev.agentfactory.connectors.dataset.version.DatasetSummary;
import dev.agentfactory.connectors.dataset.version.DatasetVersion;
import dev.agentfactory.connectors.dataset.version.Lineage;
import dev.agentfactory.connectors.dataset.version.ManifestCodec;
import dev.agentfactory.connectors.dataset.version.ProgressListener;
import dev.agentfactory.edge.auth.ApiErrors;
import dev.agentfactory.edge.auth.Auth;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/datasets}: the datasets the pipeline writes (one per {@link DatasetKind}, named after
 * the kind: {@code sft}, {@code preference}, {@code unpaired}, {@code rft}, {@code eval}), their
 * immutable versions (manifests of committed files with rows, schema, checksums, lineage) and the
 * files themselves. Catalog work reads files, so it runs on a named worker pool. Admin key only:
 * datasets are not yet split per tenant.
 */
public final class DatasetsHandler {

  private static final Logger LOG = LoggerFactory.getLogger(DatasetsHandler.class);

  private final DatasetCatalog catalog;
  private final Supplier<Lineage> lineage;
  private final WorkerExecutor worker;
  private final Map<String, CutProgress> cuts = new ConcurrentHashMap<>();

  /** {@code lineage} says which job and savepoint produced the files, at cut time. */
  public DatasetsHandler(Vertx vertx, Path datasetsRoot, Supplier<Lineage> lineage) {
    this.catalog = new DatasetCatalog(datasetsRoot);
    this.lineage = lineage;
    this.worker = vertx.createSharedWorkerExecutor("af-datasets", 2);
  }

  /**
   * Every dataset on disk plus every dataset kind the pipeline writes (with zero files until its
   * first rows are committed), each with its kind and the progress of a cut running now.
   */
  public void list(RoutingContext ctx) {
    admin(
        ctx,
        catalog::list,
        summaries -> {
          Map<String, DatasetSummary> byName = new TreeMap<>();
          for (DatasetKind kind : DatasetKind.values()) {
            byName.put(kind.datasetName(), new DatasetSummary(kind.datasetName(), 0, 0, 0));
          }
          summaries.forEach(d -> byName.put(d.name(), d));
          JsonArray array = new JsonArray();
          byName
              .values()
              .forEach(
                  d ->
                      array.add(
                          new JsonObject()
                              .put("name", d.name())
                              .put(
                                  "kind",
                                  DatasetKind.byDatasetName(d.name())
                                      .map(DatasetKind::datasetName)
                                      .orElse(null))
                              .put("committed_files", d.committedFiles())
                              .put("total_rows", d.totalRows())
                              .put("latest_version", d.latestVersion())
                              .put("cut_in_progress", progressJson(cuts.get(d.name())))));
          json(ctx, 200, new JsonObject().put("datasets", array).encode());
        });
  }

  private static JsonObject progressJson(CutProgress progress) {
    if (progress == null) {
      return null;
    }
    return new JsonObject()
        .put("files_done", progress.filesDone)
        .put("files_total", progress.filesTotal)
        .put("bytes_done", progress.bytesDone)
        .put("bytes_total", progress.bytesTotal);
  }

  /** What a running cut has checksummed so far; written by the worker, read by list. */
  private static final class CutProgress implements ProgressListener {
    volatile int filesDone;
    volatile int filesTotal;
    volatile long bytesDone;
    volatile long bytesTotal;

    @Override
    public void onProgress(int filesDone, int filesTotal, long bytesDone, long bytesTotal) {
      this.filesDone = filesDone;
      this.filesTotal = filesTotal;
      this.bytesDone = bytesDone;
      this.bytesTotal = bytesTotal;
    }
  }

  /**
   * Cuts a version. The request answers when the cut is done (201 with the manifest); meanwhile
   * {@code GET /v1/datasets} shows the cut's {@code cut_in_progress} (files and bytes checksummed
   * of the total), and long cuts are logged.
   */
  public void cut(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    CutProgress tracker = new CutProgress();
    ProgressListener progress =
        (filesDone, filesTotal, bytesDone, bytesTotal) -> {
          tracker.onProgress(filesDone, filesTotal, bytesDone, bytesTotal);
          if (filesDone == filesTotal || filesDone % 100 == 0) {
            LOG.info(
                "dataset {}: cut {}/{} files, {}/{} bytes",
                name,
                filesDone,
                filesTotal,
                bytesDone,
                bytesTotal);
          }
        };
    admin(
        ctx,
        () -> {
          cuts.put(name, tracker);
          try {
            return catalog.cut(name, lineage.get(), progress);
          } finally {
            cuts.remove(name, tracker);
          }
        },
        version -> json(ctx, 201, manifest(version)));
  }

  public void versions(RoutingContext ctx) {
    admin(
        ctx,
        () -> catalog.versions(ctx.pathParam("name")),
        (List<DatasetVersion> versions) -> {
          JsonArray array = new JsonArray();
          versions.forEach(v -> array.add(new JsonObject(manifest(v))));
          json(ctx, 200, new JsonObject().put("versions", array).encode());
        });
  }

  public void version(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    int n = Integer.parseInt(ctx.pathParam("version"));
    admin(
        ctx,
        () -> catalog.version(name, n),
        version -> {
          if (version.isPresent()) {
            json(ctx, 200, manifest(version.get()));
          } else {
            ApiErrors.send(ctx, 404, "not_found", "dataset " + name + " has no v" + n, "version");
          }
        });
  }

  /** A file of a version, only if the version lists it. */
  public void file(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    int n = Integer.parseInt(ctx.pathParam("version"));
    String path = ctx.queryParams().get("path");
    admin(
        ctx,
        () -> catalog.resolveFile(name, n, path),
        file ->
            ctx.response()
                .putHeader("content-type", "application/octet-stream")
                .putHeader(
                    "content-disposition", "attachment; filename=\"" + file.getFileName() + "\"")
                .sendFile(file.toString()));
  }

  private <T> void admin(RoutingContext ctx, Callable<T> work, java.util.function.Consumer<T> ok) {
    Auth.requireAdmin(
        ctx,
        () ->
            worker.executeBlocking(work, false).onSuccess(ok::accept).onFailure(e -> fail(ctx, e)));
  }

  private static String manifest(DatasetVersion version) {
    return new String(ManifestCodec.encode(version), StandardCharsets.UTF_8);
  }

  private static void fail(RoutingContext ctx, Throwable e) {
    if (e instanceof DatasetException d) {
      int status =
          switch (d.code()) {
            case NOT_FOUND -> 404;
            case INVALID_NAME -> 400;
            case CONFLICT -> 409;
            case IO_ERROR -> 500;
          };
      ApiErrors.send(ctx, status, d.code().wireName(), d.getMessage(), null);
    } else {
      ctx.fail(e);
    }
  }

  private static void json(RoutingContext ctx, int status, String body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(Buffer.buffer(body));
  }

  public Future<Void> close() {
    return worker.close();
  }
}
