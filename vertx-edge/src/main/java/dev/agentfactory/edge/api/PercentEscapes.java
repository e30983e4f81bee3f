package dev.agentfactory.edge.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Refuses a request whose path or query has a {@code %} that is no percent-escape (RFC 3986 2.1: a
 * {@code %} and two hex digits; a {@code %} itself is {@code %25}). Vert.x and Netty throw when
 * they decode one, which the router answered as 500 {@code internal_error} and logged as the node's
 * failure; it is the request's, answered 400 {@code invalid_request} before anything reads the path
 * or the query.
 *
 * <pre>{@code
 * builder.rootHandler(PercentEscapes.HANDLER); // first: the handlers after it decode the path
 * }</pre>
 */
final class PercentEscapes {

  static final Handler<RoutingContext> HANDLER = PercentEscapes::check;

  private PercentEscapes() {}

  private static void check(RoutingContext ctx) {
    String inPath = firstInvalid(ctx.request().path());
    String inQuery = inPath == null ? firstInvalid(ctx.request().query()) : null;
    if (inPath == null && inQuery == null) {
      ctx.next();
      return;
    }
    ApiErrors.send(
        ctx,
        400,
        "invalid_request",
        "the request's "
            + (inPath != null ? "path" : "query")
            + " has '"
            + (inPath != null ? inPath : inQuery)
            + "', which is no percent-escape: a % is followed by two hex digits (a % itself"
            + " is %25)",
        null);
  }

  /** The first {@code %} in {@code text} with what follows it, if that is no escape; else null. */
  static String firstInvalid(String text) {
    if (text == null) {
      return null;
    }
    for (int i = text.indexOf('%'); i >= 0; i = text.indexOf('%', i + 1)) {
      if (i + 2 >= text.length() || !isHex(text.charAt(i + 1)) || !isHex(text.charAt(i + 2))) {
        return text.substring(i, Math.min(text.length(), i + 3));
      }
    }
    return null;
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
}
