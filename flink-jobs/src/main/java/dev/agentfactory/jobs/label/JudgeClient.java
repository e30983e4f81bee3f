package dev.agentfactory.jobs.label;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Asks an OpenAI-compatible chat completions endpoint ({@code POST <base>/chat/completions}) for a
 * verdict under {@link JudgeRubric}. Non-blocking: {@link #judge} returns at once.
 *
 * <pre>{@code
 * JudgeClient client = new JudgeClient(URI.create("http://127.0.0.1:8000/v1"), "gpt-4o-mini",
 *     Optional.of(apiKey), Duration.ofSeconds(10));
 * client.judge(JudgeRubric.transcript(event)).thenAccept(v -> ...);
 * client.close(); // when its task ends
 * }</pre>
 *
 * <p>A client holds threads and connections: its own worker threads ({@value #THREAD_PREFIX}{@code
 * <client>-<n>}, which run the answers' callbacks), and the JDK client's selector thread and pooled
 * keep-alive connections. {@link #close} cancels the calls in flight and stops the workers at once.
 * The selector thread and the pool stop with the JDK client: at once on Java 21 and later, whose
 * {@code HttpClient} is {@link AutoCloseable}; on Java 17 when the garbage collector takes the
 * closed client, which no call in flight holds on to any more.
 */
public final class JudgeClient implements AutoCloseable {

  /** The start of the names of a client's worker threads. */
  public static final String THREAD_PREFIX = "judge-http-";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger CLIENTS = new AtomicInteger();

  private final ExecutorService workers;
  private final HttpClient http;
  private final URI completions;
  private final String model;
  private final Optional<String> apiKey;
  private final Duration timeout;
  private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  public JudgeClient(URI baseUrl, String model, Optional<String> apiKey, Duration timeout) {
    String base = baseUrl.toString();
    this.completions = URI.create((base.endsWith("/") ? base : base + "/") + "chat/completions");
    this.model = model;
    this.apiKey = apiKey;
    this.timeout = timeout;
    this.workers = Executors.newCachedThreadPool(workerThreads(CLIENTS.incrementAndGet()));
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .version(HttpClient.Version.HTTP_1_1)
            .executor(workers)
            .build();
  }

  private static ThreadFactory workerThreads(int client) {
    AtomicInteger n = new AtomicInteger();
    return task -> {
      Thread t = new Thread(task, THREAD_PREFIX + client + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  public String model() {
    return model;
  }

  /**
   * The verdict, or a failed stage: a {@link JudgeException} for an answer that is not a verdict
   * (an HTTP error status, a body that is not the expected JSON), the HTTP client's own exception
   * for a call that could not be made or timed out ({@link java.io.IOException}, {@link
   * java.net.http.HttpTimeoutException}), a {@link java.util.concurrent.CancellationException}
   * after {@link #close}.
   */
  public CompletionStage<JudgeVerdict> judge(String transcript) {
    if (closed) {
      return CompletableFuture.failedFuture(new JudgeException("judge client: closed"));
    }
    HttpRequest.Builder request =
        HttpRequest.newBuilder(completions)
            .timeout(timeout)
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body(transcript)));
    apiKey.ifPresent(key -> request.header("authorization", "Bearer " + key));
    CompletableFuture<HttpResponse<String>> response;
    try {
      response = http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new JudgeException("judge request: " + e, e));
    }
    inFlight.add(response);
    response.whenComplete((r, e) -> inFlight.remove(response));
    if (closed) {
      response.cancel(true); // close() ran meanwhile and may not have seen it
    }
    return response.thenApply(this::verdict);
  }

  /**
   * Cancels the calls in flight (their stages fail with a {@link
   * java.util.concurrent.CancellationException}) and stops the client's threads; a call after it
   * fails with a {@link JudgeException}. Does not wait for an answer.
   */
  @Override
  public void close() {
    closed = true;
    for (CompletableFuture<?> call : inFlight) {
      call.cancel(true); // aborts the exchange, so it no longer holds the client
    }
    // HttpClient is AutoCloseable from Java 21 on; its close() waits for the calls in flight,
    // cancelled above, and stops its selector thread and closes its connections.
    if (http instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        throw new JudgeException("closing the judge's HTTP client: " + e, e);
      }
    }
    workers.shutdownNow();
  }

  private String body(String transcript) {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", model);
    body.put("temperature", 0);
    ArrayNode messages = body.putArray("messages");
    messages.addObject().put("role", "system").put("content", JudgeRubric.SYSTEM_PROMPT);
    messages.addObject().put("role", "user").put("content", transcript);
    return body.toString();
  }

  private JudgeVerdict verdict(HttpResponse<String> response) {
    if (response.statusCode() != 200) {
      throw new JudgeException(
          "judge endpoint " + completions + " answered HTTP " + response.statusCode());
    }
    JsonNode root;
    try {
      root = JSON.readTree(response.body());
    } catch (IOException e) {
      throw new JudgeException("judge response: not JSON", e);
    }
    JsonNode content = root.path("choices").path(0).path("message").path("content");
    if (!content.isTextual()) {
      throw new JudgeException("judge response.choices[0].message.content: missing");
    }
    String answeredBy = root.path("model").isTextual() ? root.path("model").asText() : model;
    return JudgeRubric.parse(content.asText(), answeredBy);
  }
}
