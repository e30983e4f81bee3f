package dev.agentfactory.edge.dataset;

import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.api.ApiRouter;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a dataset file that {@link DatasetsHandler#file} resolved: the whole file, or one byte
 * range of it ({@link ByteRange}: 206, or 416 past the end) so a broken download resumes; a HEAD
 * gets the headers with the length. A file that cannot be sent after all is answered, never left
 * without an answer.
 */
final class DatasetDownload {

  private static final Logger LOG = LoggerFactory.getLogger(DatasetDownload.class);

  private final WorkerExecutor worker;

  /** {@code worker} checks, off the event loop, whether a file that could not be sent is gone. */
  DatasetDownload(WorkerExecutor worker) {
    this.worker = worker;
  }

  /** A file a version lists, resolved and stat'ed on a worker. */
  record Resolved(Path file, long size) {}

  void send(RoutingContext ctx, Resolved download, String name, int n, String path) {
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
