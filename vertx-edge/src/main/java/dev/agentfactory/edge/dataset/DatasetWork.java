package dev.agentfactory.edge.dataset;

import dev.agentfactory.connectors.dataset.DatasetKind;
import dev.agentfactory.connectors.dataset.version.DatasetException;
import dev.agentfactory.connectors.dataset.version.DatasetVersion;
import dev.agentfactory.connectors.dataset.version.ManifestCodec;
import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.auth.Auth;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * What the dataset routes share: catalog work run on the named worker pool with its failures
 * answered by their typed status, the answer of a dataset kind not written to yet, and the {@code
 * {version}} path parameter.
 */
final class DatasetWork {

  /** A version number as written in a path: digits, no sign, no leading zero. */
  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]*");

  private final Path root;
  private final WorkerExecutor worker;

  DatasetWork(Path datasetsRoot, WorkerExecutor worker) {
    this.root = datasetsRoot;
    this.worker = worker;
  }

  /**
   * After the admin check, {@code then} with the {@code {version}} path parameter; one that is no
   * version number is answered here ({@link #versionParameter}).
   */
  static void adminWithVersion(RoutingContext ctx, IntConsumer then) {
    Auth.requireAdmin(
        ctx,
        () -> {
          Integer n = versionParameter(ctx);
          if (n != null) {
            then.accept(n);
          }
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
  static Optional<Integer> versionNumber(String text) {
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
  <T> Callable<T> beforeFirstFile(String name, Callable<T> work, Supplier<T> empty) {
    return () ->
        DatasetKind.byDatasetName(name).isPresent() && !Files.isDirectory(root.resolve(name))
            ? empty.get()
            : work.call();
  }

  <T> void admin(RoutingContext ctx, Callable<T> work, Consumer<T> ok) {
    Auth.requireAdmin(ctx, () -> blocking(ctx, work, ok));
  }

  /** Runs catalog work on the worker pool; its failures answer with their typed status. */
  <T> void blocking(RoutingContext ctx, Callable<T> work, Consumer<T> ok) {
    worker.executeBlocking(work, false).onSuccess(ok::accept).onFailure(e -> fail(ctx, e));
  }

  static String manifest(DatasetVersion version) {
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

  static void json(RoutingContext ctx, int status, String body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(Buffer.buffer(body));
  }
}
