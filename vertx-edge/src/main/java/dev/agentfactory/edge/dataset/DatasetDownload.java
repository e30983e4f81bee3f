package dev.agentfactory.edge.dataset;

import dev.agentfactory.connectors.dataset.version.DatasetCatalog;
import dev.agentfactory.connectors.dataset.version.DatasetException;
import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.api.ApiRouter;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link DatasetsHandler#file}: resolves the file on the worker and sends it, the whole file or one
 * byte range of it ({@link ByteRange}: 206, or 416 past the end) so a broken download resumes; a
 * HEAD gets the headers with the length. A file that cannot be sent after all is answered, never
 * left without an answer.
 */
final class DatasetDownload {

  private static final Logger LOG = LoggerFactory.getLogger(DatasetDownload.class);

  private final DatasetCatalog catalog;
  private final DatasetWork work;
  private final WorkerExecutor worker;
  private final Consumer<Path> beforeSend;

  /**
   * {@code worker} checks, off the event loop, whether a file that could not be sent is gone;
   * {@code beforeSend} is called on it with each file resolved, just before it is sent.
   */
  DatasetDownload(
      DatasetCatalog catalog, DatasetWork work, WorkerExecutor worker, Consumer<Path> beforeSend) {
    this.catalog = catalog;
    this.work = work;
    this.worker = worker;
    this.beforeSend = beforeSend;
  }

  /**
   * A file of a version, only if the version lists it. One byte range ({@code Range: bytes=...})
   * answers 206 with that part, so a broken download resumes ({@link ByteRange}); a file that
   * cannot be sent after all (it vanished since it was resolved, or cannot be opened) answers 404
   * or 500 like one that was missing from the start, never no answer.
   */
  void file(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    String path = ctx.queryParams().get("path");
    DatasetWork.adminWithVersion(
        ctx,
        n ->
            work.blocking(
                ctx,
                work.beforeFirstFile(
                    name,
                    () -> {
                      Path file = catalog.resolveFile(name, n, path);
                      long size = Files.size(file);
                      beforeSend.accept(file);
                      return new Resolved(file, size);
                    },
                    () -> {
                      throw new DatasetException(
                          DatasetException.Code.NOT_FOUND,
                          DatasetException.Subject.VERSION,
                          "dataset '" + name + "' has no version " + n);
                    }),
                file -> send(ctx, file, name, n, path)));
  }

  /** A file a version lists, resolved and stat'ed on a worker. */
  record Resolved(Path file, long size) {}

  private void send(RoutingContext ctx, Resolved download, String name, int n, String path) {
    HttpServerResponse response = ctx.response();
    Optional<ByteRange> range;
    try {
      range =
          ByteRange.parse(
              ctx.request().getHeader("range"),
              ctx.request().getHeader("if-range"),
              download.size());
    } catch (ByteRange.Unsatisfiable e) {
      response.putHeader("content-range", ByteRange.unsatisfied(download.size()));
      ApiErrors.send(ctx, 416, "range_not_satisfiable", e.getMessage(), "range");
      return;
    }
    response
        .putHeader("content-type", "application/octet-stream")
        .putHeader(
            "content-disposition",
            ContentDisposition.attachment(download.file().getFileName().toString()))
        .putHeader("accept-ranges", "bytes");
    long offset = range.map(ByteRange::first).orElse(0L);
    long length = range.map(ByteRange::length).orElse(download.size());
    if (range.isPresent()) {
      response.setStatusCode(206).putHeader("content-range", range.get().contentRange());
    }
    if (ApiRouter.isHead(ctx)) {
      // sendFile gives a HEAD no length, and a download client asks HEAD for the size
      response.putHeader("content-length", Long.toString(length)).end();
      return;
    }
    response
        .sendFile(download.file().toString(), offset, length)
        .onFailure(e -> notSent(ctx, download.file(), name, n, path, e));
  }

  /**
   * Answers a download whose file could not be sent: Vert.x leaves the response open when it cannot
   * open the file, and the client would wait for good. Before the first byte, 404 if the file is
   * gone (as if it had been when resolved), else 500 {@code io_error}; after it, the connection is
   * reset, so the client sees a broken download rather than a short file.
   */
  private void notSent(
      RoutingContext ctx, Path file, String name, int n, String path, Throwable e) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      LOG.warn("dataset {} v{}: download of {} broke off", name, n, path, e);
      response.reset();
      return;
    }
    worker
        .executeBlocking(() -> Files.exists(file), false)
        .onComplete(
            exists -> {
              List.of("content-disposition", "content-range", "accept-ranges", "content-length")
                  .forEach(response.headers()::remove);
              if (exists.succeeded() && !exists.result()) {
                ApiErrors.send(
                    ctx,
                    404,
                    "not_found",
                    "file '"
                        + path
                        + "' of dataset '"
                        + name
                        + "' version "
                        + n
                        + " no longer exists",
                    "path");
              } else {
                LOG.warn("dataset {} v{}: {} cannot be sent", name, n, path, e);
                ApiErrors.send(
                    ctx,
                    500,
                    "io_error",
                    "file '" + path + "' of dataset '" + name + "' cannot be read: " + e,
                    null);
              }
            });
  }
}
