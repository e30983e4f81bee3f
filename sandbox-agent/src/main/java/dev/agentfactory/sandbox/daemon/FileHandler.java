package dev.agentfactory.sandbox.daemon;

import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.Sandbox;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * {@code /v1/leases/:id/files?path=…}: {@code GET} reads a file (raw bytes), {@code PUT} writes one
 * (the raw body), and {@code GET …/files/list?path=…} lists a directory. The sandbox does the path
 * checks (no escapes, no links) and runs the I/O on its file workers.
 */
final class FileHandler {

  private final LeaseHandler leases;
  private final Replies replies;

  FileHandler(LeaseHandler leases, Replies replies) {
    this.leases = leases;
    this.replies = replies;
  }

  void read(RoutingContext ctx) {
    leases.withLease(
        ctx,
        lease -> {
          String path;
          long max;
          try {
            path = path(ctx, true);
            max = maxBytes(ctx);
          } catch (ApiException e) {
            Replies.error(ctx, e);
            return;
          }
          replies
              .onWorker(ctx, () -> lease.sandbox().readFile(path, max))
              .onSuccess(
                  bytes ->
                      ctx.response()
                          .putHeader("content-type", "application/octet-stream")
                          .end(Buffer.buffer(bytes)))
              .onFailure(e -> Replies.fail(ctx, e, "path"));
        });
  }

  void write(RoutingContext ctx) {
    leases.withLease(
        ctx,
        lease -> {
          String path;
          try {
            path = path(ctx, true);
          } catch (ApiException e) {
            Replies.error(ctx, e);
            return;
          }
          Buffer body = ctx.body().buffer();
          byte[] content = body == null ? new byte[0] : body.getBytes();
          Sandbox sandbox = lease.sandbox();
          replies
              .onWorker(ctx, () -> sandbox.writeFile(path, content))
              .onSuccess(
                  v ->
                      Replies.json(
                          ctx, 200, new JsonObject().put("path", path).put("size", content.length)))
              .onFailure(e -> Replies.fail(ctx, e, "path"));
        });
  }

  void list(RoutingContext ctx) {
    leases.withLease(
        ctx,
        lease -> {
          String path;
          try {
            path = path(ctx, false);
          } catch (ApiException e) {
            Replies.error(ctx, e);
            return;
          }
          replies
              .onWorker(ctx, () -> lease.sandbox().listFiles(path))
              .onSuccess(
                  entries -> {
                    JsonArray out = new JsonArray();
                    for (FileEntry e : entries) {
                      out.add(
                          new JsonObject()
                              .put("path", e.path())
                              .put("name", e.name())
                              .put("type", e.type().name().toLowerCase(Locale.ROOT))
                              .put("size", e.size())
                              .put("modified", e.modified().toString()));
                    }
                    Replies.json(ctx, 200, new JsonObject().put("path", path).put("entries", out));
                  })
              .onFailure(e -> Replies.fail(ctx, e, "path"));
        });
  }

  private static String path(RoutingContext ctx, boolean required) {
    var values = ctx.queryParam("path");
    if (values.size() > 1) {
      throw ApiException.badField("path", "must be given once");
    }
    if (values.isEmpty()) {
      if (required) {
        throw ApiException.badField("path", "must be set, e.g. ?path=src/main.py");
      }
      return "";
    }
    return values.get(0);
  }

  private static long maxBytes(RoutingContext ctx) {
    String v = ctx.queryParams().get("max_bytes");
    if (v == null) {
      return Sandbox.DEFAULT_MAX_READ_BYTES;
    }
    try {
      long n = Long.parseLong(v);
      if (n >= 1 && n <= Sandbox.DEFAULT_MAX_READ_BYTES * 4) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiException.badField(
        "max_bytes", "must be an integer in [1, " + Sandbox.DEFAULT_MAX_READ_BYTES * 4 + "]");
  }
}
