package dev.agentfactory.edge.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentfactory.sandbox.Sandbox;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code http.fetch}: one HTTP request made from <em>inside</em> the session's sandbox by a small
 * Python program ({@code http_fetch.py}), so it leaves only through the sandbox's egress proxy and
 * its allowlist. The edge never makes the request itself: a tool must not reach what the sandbox
 * cannot. The body is capped at {@link #MAX_BODY_BYTES} and the request at {@link #TIMEOUT}.
 */
final class HttpFetch {

  static final int MAX_BODY_BYTES = 256 * 1024;
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");
  static final String PYTHON = "/usr/bin/python3";

  private static final String SCRIPT = resource("http_fetch.py");

  private HttpFetch() {}

  /** The request to make, validated; a bad argument throws for an error result. */
  static ObjectNode request(ToolArguments args) {
    String url = args.requiredText("url");
    try {
      URI uri = new URI(url);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
        throw new ToolArguments.ToolArgumentException(
            "argument 'url' must be an absolute http or https URL");
      }
    } catch (URISyntaxException e) {
      throw new ToolArguments.ToolArgumentException(
          "argument 'url' is not a URL: " + e.getReason());
    }
    String method = args.optionalText("method").orElse("GET").toUpperCase(Locale.ROOT);
    if (!METHODS.contains(method)) {
      throw new ToolArguments.ToolArgumentException(
          "argument 'method' must be one of " + METHODS.stream().sorted().toList());
    }
    ObjectNode request = ToolArguments.JSON.createObjectNode();
    request.put("url", url).put("method", method);
    ObjectNode headers = request.putObject("headers");
    args.optionalObject("headers")
        .ifPresent(
            given ->
                given
                    .fields()
                    .forEachRemaining(
                        h -> {
                          if (!h.getValue().isTextual()
                              || !h.getKey().matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}")) {
                            throw new ToolArguments.ToolArgumentException(
                                "argument 'headers' must map header names to strings ('"
                                    + h.getKey()
                                    + "')");
                          }
                          headers.put(h.getKey(), h.getValue().textValue());
                        }));
    args.optionalText("body").ifPresent(b -> request.put("body", b));
    request.put("max_bytes", MAX_BODY_BYTES).put("timeout_s", TIMEOUT.toSeconds());
    return request;
  }

  static Future<ToolResult> fetch(Context context, Sandbox sandbox, ObjectNode request) {
    long started = System.nanoTime();
    return SandboxCommand.run(
            context,
            sandbox,
            List.of(PYTHON, "-c", SCRIPT),
            Map.of("AF_FETCH", request.toString()),
            TIMEOUT.plusSeconds(5),
            MAX_BODY_BYTES * 8L)
        .map(
            out -> {
              long ms = (System.nanoTime() - started) / 1_000_000;
              if (!out.succeeded()) {
                return ToolResult.error("http.fetch " + out.failure(), ms);
              }
              JsonNode answer;
              try {
                answer = ToolArguments.JSON.readTree(out.stdout());
              } catch (IOException e) {
                return ToolResult.error("http.fetch gave no answer: " + out.stderr().strip(), ms);
              }
              if (answer.has("error")) {
                return ToolResult.error(
                    "http.fetch "
                        + request.get("url").asText()
                        + ": "
                        + answer.get("error").asText(),
                    ms);
              }
              if (answer.path("denied").asBoolean()) {
                return ToolResult.error(
                    "http.fetch "
                        + request.get("url").asText()
                        + ": egress denied by the sandbox proxy (the host is not on the agent's"
                        + " network allowlist): "
                        + answer.path("body").asText(),
                    ms);
              }
              ((ObjectNode) answer).remove("denied");
              return ToolResult.ok(answer.toString(), ms);
            });
  }

  static String resource(String name) {
    try (InputStream in = HttpFetch.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
