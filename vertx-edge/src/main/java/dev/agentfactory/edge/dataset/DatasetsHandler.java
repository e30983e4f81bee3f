package dev.agentfactory.edge.dataset;

import dev.agentfactory.connectors.dataset.DatasetKind;
import dev.agentfactory.connectors.dataset.version.CutPreview;
import dev.agentfactory.connectors.dataset.version.DatasetCatalog;
import dev.agentfactory.connectors.dataset.version.DatasetException;
import dev.agentfactory.connectors.dataset.version.DatasetSummary;
import dev.agentfactory.connectors.dataset.version.DatasetVersion;
import dev.agentfactory.connectors.dataset.version.Lineage;
import dev.agentfactory.connectors.dataset.version.ManifestCodec;
import dev.agentfactory.connectors.dataset.version.ProgressListener;
import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.api.PageRequest;
import dev.agentfactory.edge.auth.Auth;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;
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

  /** Finished cuts kept for their status URL. */
  static final int KEPT_CUTS = 100;

  /** How long a stopping node waits for its running cuts to record that they were cut short. */
  static final long CLOSE_WAIT_MS = 10_000;

  /** A version number as written in a path: digits, no sign, no leading zero. */
  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]*");

  /** How often a running cut's progress is written to the store. */
  static final long SAVE_INTERVAL_MS = 1_000;

  private final Path root;
  private final DatasetCatalog catalog;
  private final DatasetCutStore store;
  private volatile boolean closing;
  private final Supplier<Lineage> lineage;
  private final Vertx vertx;
  private final WorkerExecutor worker;
  private final WorkerExecutor cutWorker;
  private final DatasetDownload download;
  private final Map<String, DatasetCut> running = new ConcurrentHashMap<>();

  /** How many cuts of each dataset ended on this node, so a decision sees a preview went stale. */
  private final Map<String, Integer> ended = new ConcurrentHashMap<>();

  /** Called on the worker after each cut preview: tests end a running cut there. */
  volatile Consumer<String> afterPreview = name -> {};

  /**
   * Called on the worker with each file a download resolved, just before it is sent: tests delete
   * it here to show the answer to a file that vanishes in between.
   */
  volatile Consumer<Path> beforeSend = file -> {};

  /** The unreadable files, as {@code <dataset>/<path>}, the log already warned of. */
  private final Set<String> warnedUnreadable = ConcurrentHashMap.newKeySet();

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
   * {@code lineage} says which job, checkpoint, savepoint and judge produced the files; a cut asks
   * it right after listing the files, on a worker thread (it may block). {@code cutsDir} keeps the
   * cuts' status across restarts; the constructor reads it (blocking: call it at start-up) and
   * records cuts a node stop left {@code running} as failed ({@code interrupted}).
   */
  public DatasetsHandler(Vertx vertx, Path datasetsRoot, Supplier<Lineage> lineage, Path cutsDir) {
    this.root = datasetsRoot;
    this.catalog = new DatasetCatalog(datasetsRoot);
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
    this.worker = vertx.createSharedWorkerExecutor("af-datasets", 2);
    // Cuts read every byte; on their own pool, so listing and downloads stay responsive.
    this.cutWorker = vertx.createSharedWorkerExecutor("af-dataset-cuts", 2);
    this.download = new DatasetDownload(worker);
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
          warnUnreadableOnce(summaries);
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
                              .put("unreadable_files", unreadableJson(d))
                              .put("cut_in_progress", progressJson(d.name()))));
          json(ctx, 200, new JsonObject().put("datasets", array).encode());
        });
  }

  private static JsonArray unreadableJson(DatasetSummary d) {
    JsonArray files = new JsonArray();
    d.unreadableFiles()
        .forEach(f -> files.add(new JsonObject().put("path", f.path()).put("reason", f.reason())));
    return files;
  }

  /**
   * Warns of each unreadable file when a listing first finds it, not at every listing: an operator
   * must move it away, and a listing polled every few seconds would bury the log. A file that is
   * fixed and breaks again is warned of again.
   */
  private void warnUnreadableOnce(List<DatasetSummary> summaries) {
    Set<String> now = new HashSet<>();
    for (DatasetSummary d : summaries) {
      for (DatasetSummary.UnreadableFile f : d.unreadableFiles()) {
        String file = d.name() + "/" + f.path();
        now.add(file);
        if (warnedUnreadable.add(file)) {
          LOG.warn(
              "dataset file {} is unreadable; it is listed in unreadable_files and a cut of"
                  + " dataset '{}' fails until it is moved away: {}",
              file,
              d.name(),
              f.reason());
        }
      }
    }
    warnedUnreadable.retainAll(now);
  }

  private JsonObject progressJson(String dataset) {
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
  public void cut(RoutingContext ctx) {
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
    blocking(
        ctx,
        beforeFirstFile(
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
    json(
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
  public void cutStatus(RoutingContext ctx) {
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
            json(ctx, 200, cut.toJson().encode());
          }
        });
  }

  /**
   * A page of the dataset's versions, oldest first ({@link PageRequest}: {@code limit}, {@code
   * cursor}), reading only the manifests the page needs. A manifest that cannot be read (corrupt,
   * or of a newer format a node sharing the directory wrote) does not fail the listing: the page
   * names it in {@code unreadable_versions} and lists the others, as the dataset listing does with
   * unreadable files.
   */
  public void versions(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    Auth.requireAdmin(
        ctx,
        () -> {
          PageRequest page =
              PageRequest.parse(ctx, "versions/" + name, after -> versionNumber(after).isPresent());
          if (page == null) {
            return;
          }
          int after = page.after().map(Integer::parseInt).orElse(0);
          blocking(
              ctx,
              beforeFirstFile(
                  name, () -> versionPage(name, after, page.limit()), () -> VersionPage.NONE),
              (VersionPage found) -> {
                JsonObject answer =
                    page.answer(
                        found.versions(),
                        "versions",
                        v -> Integer.toString(v.version()),
                        v -> new JsonObject(manifest(v)));
                JsonArray unreadable = new JsonArray();
                found
                    .unreadable()
                    .forEach(
                        (version, reason) ->
                            unreadable.add(
                                new JsonObject().put("version", version).put("reason", reason)));
                json(ctx, 200, answer.put("unreadable_versions", unreadable).encode());
              });
        });
  }

  /**
   * Up to {@code limit + 1} readable versions after {@code after} (one more than the page tells
   * whether another follows), and the unreadable ones the page covers, by number.
   */
  private record VersionPage(List<DatasetVersion> versions, Map<Integer, String> unreadable) {
    static final VersionPage NONE = new VersionPage(List.of(), Map.of());
  }

  private VersionPage versionPage(String name, int after, int limit) {
    List<DatasetVersion> found = new ArrayList<>();
    Map<Integer, String> unreadable = new TreeMap<>();
    Map<Integer, String> pastThePage = new TreeMap<>();
    for (int n : catalog.versionNumbers(name)) {
      if (n <= after) {
        continue;
      }
      if (found.size() > limit) {
        break;
      }
      try {
        catalog.version(name, n).ifPresent(found::add);
      } catch (DatasetException e) {
        if (e.code() != DatasetException.Code.IO_ERROR) {
          throw e;
        }
        // after the page's last version: the next page covers it, unless there is none
        (found.size() < limit ? unreadable : pastThePage).put(n, e.getMessage());
      }
    }
    if (found.size() <= limit) {
      unreadable.putAll(pastThePage);
    }
    return new VersionPage(found, unreadable);
  }

  public void version(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    Auth.requireAdmin(
        ctx,
        () -> {
          Integer n = versionParameter(ctx);
          if (n == null) {
            return;
          }
          blocking(
              ctx,
              beforeFirstFile(
                  name, () -> catalog.version(name, n), Optional::<DatasetVersion>empty),
              version -> {
                if (version.isPresent()) {
                  json(ctx, 200, manifest(version.get()));
                } else {
                  ApiErrors.send(
                      ctx,
                      404,
                      "not_found",
                      "dataset '" + name + "' has no version " + n,
                      "version");
                }
              });
        });
  }

  /**
   * A file of a version, only if the version lists it. One byte range ({@code Range: bytes=...})
   * answers 206 with that part, so a broken download resumes ({@link ByteRange}); a file that
   * cannot be sent after all (it vanished since it was resolved, or cannot be opened) answers 404
   * or 500 like one that was missing from the start, never no answer.
   */
  public void file(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    String path = ctx.queryParams().get("path");
    Auth.requireAdmin(
        ctx,
        () -> {
          Integer n = versionParameter(ctx);
          if (n == null) {
            return;
          }
          blocking(
              ctx,
              beforeFirstFile(
                  name,
                  () -> {
                    Path file = catalog.resolveFile(name, n, path);
                    long size = Files.size(file);
                    beforeSend.accept(file);
                    return new DatasetDownload.Resolved(file, size);
                  },
                  () -> {
                    throw new DatasetException(
                        DatasetException.Code.NOT_FOUND,
                        DatasetException.Subject.VERSION,
                        "dataset '" + name + "' has no version " + n);
                  }),
              file -> download.send(ctx, file, name, n, path));
        });
  }

  /**
   * The {@code {version}} path parameter, written in digits as versions are numbered ({@code 3}),
   * or null after answering 400 {@code invalid_field}. The contract types it as an integer from 1
   * to 2147483647, which JSON Schema also reads into {@code 1.0} and {@code 1e0}: those are refused
   * here, not parsed on the event loop into a 500.
   */
  private static Integer versionParameter(RoutingContext ctx) {
    String text = ctx.pathParam("version");
    Optional<Integer> version = versionNumber(text);
    if (version.isPresent()) {
      return version.get();
    }
    ApiErrors.send(
        ctx,
        400,
        "invalid_field",
        "version: must be a version number in digits from 1 to "
            + Integer.MAX_VALUE
            + ", e.g. 3, not '"
            + text
            + "'",
        "version");
    return null;
  }

  /** A version number as written in a path or a cursor: digits, from 1 to the largest int. */
  private static Optional<Integer> versionNumber(String text) {
    if (text != null && VERSION.matcher(text).matches()) {
      try {
        return Optional.of(Integer.parseInt(text));
      } catch (NumberFormatException beyondAnInt) {
        // no version number, like any other text
      }
    }
    return Optional.empty();
  }

  /**
   * {@code work}, or for a dataset kind the pipeline has not written to yet (no directory: {@code
   * FileSink} makes it with the first file) what an empty dataset answers, as the listing shows
   * every kind with zeros from the start: no versions, and nothing to cut. Another name without a
   * directory stays {@code not_found} ("does not exist"). The name is a slug (the contract checked
   * it), so it resolves inside the root.
   */
  private <T> Callable<T> beforeFirstFile(String name, Callable<T> work, Supplier<T> empty) {
    return () ->
        DatasetKind.byDatasetName(name).isPresent() && !Files.isDirectory(root.resolve(name))
            ? empty.get()
            : work.call();
  }

  private <T> void admin(RoutingContext ctx, Callable<T> work, Consumer<T> ok) {
    Auth.requireAdmin(ctx, () -> blocking(ctx, work, ok));
  }

  /** Runs catalog work on the worker pool; its failures answer with their typed status. */
  private <T> void blocking(RoutingContext ctx, Callable<T> work, Consumer<T> ok) {
    worker.executeBlocking(work, false).onSuccess(ok::accept).onFailure(e -> fail(ctx, e));
  }

  private static String manifest(DatasetVersion version) {
    return new String(ManifestCodec.encode(version), StandardCharsets.UTF_8);
  }

  /**
   * Answers {@code e} with its typed status, naming the request's field a failure about the
   * dataset, a version or a file is about: {@code name}, {@code version} or {@code path}.
   */
  private static void fail(RoutingContext ctx, Throwable e) {
    if (e instanceof DatasetException d) {
      int status =
          switch (d.code()) {
            case NOT_FOUND -> 404;
            case INVALID_NAME -> 400;
            case CONFLICT -> 409;
            case IO_ERROR -> 500;
          };
      String field =
          d.subject()
              .map(
                  subject ->
                      switch (subject) {
                        case DATASET -> "name";
                        case VERSION -> "version";
                        case FILE -> "path";
                      })
              .orElse(null);
      ApiErrors.send(ctx, status, d.code().wireName(), d.getMessage(), field);
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

  /**
   * Stops running cuts at their next progress report (they are recorded as failed, {@code
   * interrupted}; a cut publishes its version completely or not at all), waits up to {@value
   * #CLOSE_WAIT_MS} ms for their records, then closes the worker pools.
   */
  public Future<Void> close() {
    closing = true;
    List<Future<Void>> stopping = List.copyOf(runs.values());
    Promise<Void> waited = Promise.promise();
    Future.join(stopping).onComplete(ar -> waited.tryComplete());
    vertx.setTimer(CLOSE_WAIT_MS, t -> waited.tryComplete());
    return waited
        .future()
        .transform(ar -> Future.join(worker.close(), cutWorker.close()))
        .mapEmpty();
  }
}
