package dev.agentfactory.connectors.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Requests to one Flink cluster's REST API for {@link FlinkRestClient}: sends a request and reads
 * Flink's JSON answer within a deadline, turning a timeout, an error status or an answer that is
 * not JSON into a {@link FlinkRestException}.
 */
final class RestExchange {

  static final ObjectMapper MAPPER = new ObjectMapper();

  private final URI base;
  private final HttpClient http;
  private final Duration requestTimeout;

  /**
   * @param restUrl the cluster's REST address, with or without a trailing {@code /}
   * @param requestTimeout the deadline of {@link #send(HttpRequest)}
   */
  RestExchange(URI restUrl, HttpClient http, Duration requestTimeout) {
    String s = restUrl.toString();
    this.base = URI.create(s.endsWith("/") ? s : s + "/");
    this.http = http;
    this.requestTimeout = requestTimeout;
  }

  /** {@code path} (relative, e.g. {@code jobs/overview}) on the cluster. */
  URI uri(String path) {
    return base.resolve(path);
  }

  HttpRequest get(String path) {
    return HttpRequest.newBuilder(uri(path)).GET().build();
  }

  CompletionStage<JsonNode> send(HttpRequest request) {
    return send(request, requestTimeout);
  }

  /**
   * Sends {@code request} and reads Flink's JSON answer, failing with a {@link FlinkRestException}
   * when the whole answer has not come within {@code timeout}. The request's own timeout covers the
   * wait for the status line only, so the exchange also gets a deadline as a whole, and is
   * cancelled when it passes.
   */
  CompletionStage<JsonNode> send(HttpRequest request, Duration timeout) {
    HttpRequest timed =
        HttpRequest.newBuilder(request, (name, value) -> true).timeout(timeout).build();
    CompletableFuture<HttpResponse<String>> exchange =
        http.sendAsync(timed, HttpResponse.BodyHandlers.ofString());
    CompletableFuture<HttpResponse<String>> answer =
        exchange.copy().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    answer.whenComplete(
        (response, failure) -> {
          if (failure != null) {
            exchange.cancel(true);
          }
        });
    return answer
        .exceptionally(
            failure -> {
              Throwable cause = unwrap(failure);
              if (cause instanceof TimeoutException || cause instanceof HttpTimeoutException) {
                throw new FlinkRestException(
                    "Flink did not answer "
                        + request.method()
                        + " "
                        + request.uri().getPath()
                        + " within "
                        + (timeout.toMillis() % 1000 == 0
                            ? timeout.toSeconds() + " s"
                            : timeout.toMillis() + " ms"),
                    0);
              }
              throw failure instanceof CompletionException c ? c : new CompletionException(failure);
            })
        .thenApply(
            response -> {
              if (response.statusCode() >= 300) {
                throw new FlinkRestException(
                    request.method()
                        + " "
                        + request.uri().getPath()
                        + " answered "
                        + response.statusCode()
                        + ": "
                        + response.body(),
                    response.statusCode(),
                    flinkError(response.body()));
              }
              String text = response.body();
              if (text == null || text.isBlank()) {
                return MAPPER.createObjectNode();
              }
              try {
                return MAPPER.readTree(text);
              } catch (IOException e) {
                throw new FlinkRestException("not JSON from " + request.uri() + ": " + text, 0);
              }
            });
  }

  /** The failure a stage completed with: the cause of a {@link CompletionException}. */
  static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }

  /** The first entry of {@code errors} in Flink's error answer, if it is one. */
  private static String flinkError(String body) {
    try {
      JsonNode first = MAPPER.readTree(body == null ? "" : body).path("errors").path(0);
      return first.isTextual() ? first.asText() : null;
    } catch (IOException e) {
      return null;
    }
  }

  static String requiredText(JsonNode json, String field) {
    JsonNode node = json.get(field);
    if (node == null || !node.isTextual()) {
      throw new FlinkRestException("no '" + field + "' in Flink's answer: " + json, 0);
    }
    return node.asText();
  }
}
