package dev.agentfactory.edge.api;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Response;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Refuses a request whose {@code Accept} header takes no JSON, to an operation that answers only
 * JSON, with 406 {@code not_acceptable} (RFC 9110 §15.5.7) before the operation runs, instead of
 * answering JSON the client said it cannot use. JSON is acceptable when the most specific range
 * that matches {@code application/json} ({@code application/json}, else {@code application/*}, else
 * {@code *}{@code /*}; RFC 9110 §12.5.1) has a quality above 0: {@code text/html} is refused, and
 * so is {@code application/json;q=0, *}{@code /*}. Media types are read in any case, a bare {@code
 * *} as {@code *}{@code /*}, and quoted parameter values may hold commas; no {@code Accept}, or an
 * empty one, accepts anything. The 406 itself is the API's JSON error, as every error is.
 */
final class JsonAccept {

  private JsonAccept() {}

  /**
   * Whether requests to {@code operation} are checked: those of the {@code /v1} API whose every
   * success answer with a body is {@code application/json}. Not {@code /health}, {@code /ready},
   * {@code /metrics} (text) or {@code /openapi.json}, which probes and scrapers fetch as they
   * please; not a file download (a dataset file is {@code application/octet-stream}); not a
   * WebSocket (an upgrade answers 101, with no body), nor an operation whose success has no body
   * ({@code DELETE /v1/keys/{id}}: 204).
   */
  static boolean checks(Operation operation) {
    if (!operation.getOpenAPIPath().startsWith("/v1/")
        || operation.getHttpMethod() == HttpMethod.HEAD) {
      return false;
    }
    Set<String> types = new HashSet<>();
    for (int status = 200; status < 300; status++) {
      Response response = operation.getResponse(status);
      if (response != null && response.getContent() != null) {
        response.getContent().keySet().forEach(t -> types.add(t.toLowerCase(Locale.ROOT)));
      }
    }
    return types.equals(Set.of(JsonContentType.JSON));
  }

  /** A route's handler before the operation's: 406 if the request takes no JSON, else on. */
  static void check(RoutingContext ctx) {
    String refusal = refusal(ctx.request().headers().getAll("accept"));
    if (refusal != null) {
      ApiErrors.send(ctx, 406, "not_acceptable", refusal, null);
      return;
    }
    ctx.next();
  }

  /**
   * Why a request with the {@code Accept} headers {@code headers} (several are one list) is
   * refused, or null if it accepts JSON.
   */
  static String refusal(List<String> headers) {
    String accept =
        headers.stream()
            .map(String::trim)
            .filter(h -> !h.isEmpty())
            .collect(Collectors.joining(", "));
    if (accept.isEmpty() || jsonQuality(accept) > 0) {
      return null;
    }
    return "this answers "
        + JsonContentType.JSON
        + " only, which the request's Accept '"
        + accept
        + "' does not take: send Accept: "
        + JsonContentType.JSON
        + " (or */*, or no Accept)";
  }

  /**
   * The quality {@code accept} gives {@code application/json}: that of the most specific range
   * matching it (the highest, if several are as specific), 0 if none does. A quality that is not a
   * number counts as 1, as if it were not there. A bare {@code *}, which old clients send, is read
   * as {@code *}{@code /*}. Commas and semicolons inside a parameter's quoted string ({@code
   * text/plain; foo="a,b"}) separate nothing (RFC 9110 §5.6.4).
   */
  static double jsonQuality(String accept) {
    int best = -1;
    double quality = 0;
    for (List<String> range : ranges(accept)) {
      int specificity =
          switch (range.get(0).toLowerCase(Locale.ROOT)) {
            case JsonContentType.JSON -> 2;
            case "application/*" -> 1;
            case "*/*", "*" -> 0;
            default -> -1;
          };
      if (specificity < 0 || specificity < best) {
        continue;
      }
      double q = quality(range);
      quality = specificity > best ? q : Math.max(quality, q);
      best = specificity;
    }
    return quality;
  }

  /**
   * The ranges of {@code accept}, each its media range and then its parameters ({@code name=value},
   * quoted strings as they came), trimmed. A quoted string runs to its closing quote, past commas,
   * semicolons and {@code \"} (a quoted-pair); one left open runs to the end.
   */
  static List<List<String>> ranges(String accept) {
    List<List<String>> ranges = new ArrayList<>();
    List<String> range = new ArrayList<>();
    StringBuilder part = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < accept.length(); i++) {
      char c = accept.charAt(i);
      if (quoted) {
        part.append(c);
        if (c == '\\' && i + 1 < accept.length()) {
          part.append(accept.charAt(++i));
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
        part.append(c);
      } else if (c == ';' || c == ',') {
        range.add(part.toString().trim());
        part.setLength(0);
        if (c == ',') {
          ranges.add(range);
          range = new ArrayList<>();
        }
      } else {
        part.append(c);
      }
    }
    range.add(part.toString().trim());
    ranges.add(range);
    return ranges;
  }

  private static double quality(List<String> range) {
    for (int i = 1; i < range.size(); i++) {
      String parameter = range.get(i);
      int eq = parameter.indexOf('=');
      if (eq > 0 && parameter.substring(0, eq).trim().equalsIgnoreCase("q")) {
        try {
          double q = Double.parseDouble(parameter.substring(eq + 1).trim());
          return Double.isNaN(q) ? 1 : q;
        } catch (NumberFormatException e) {
          return 1;
        }
      }
    }
    return 1;
  }
}
