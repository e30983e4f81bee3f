package dev.agentfactory.jobs.pipeline;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A local HTTP server speaking the OpenAI chat completions protocol ({@code POST
 * /v1/chat/completions}). It stands in for a hosted LLM judge in tests: it answers with a fixed
 * rating (or garbage, or late, or only when released) and counts the calls, so tests can see the
 * cache and the timeouts, and what the pipeline does while a call is in flight.
 */
final class ChatCompletionsServer implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicReference<String> content = new AtomicReference<>("{\"score\": 5}");
  private final AtomicLong delayMs = new AtomicLong();
  private final AtomicReference<String> lastAuthorization = new AtomicReference<>();
  private final AtomicReference<String> lastBody = new AtomicReference<>();
  private final AtomicReference<CountDownLatch> gate = new AtomicReference<>();
  private final CountDownLatch firstCall = new CountDownLatch(1);

  ChatCompletionsServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(executor);
    server.createContext(
        "/v1/chat/completions",
        exchange -> {
          calls.incrementAndGet();
          firstCall.countDown();
          lastAuthorization.set(exchange.getRequestHeaders().getFirst("authorization"));
          lastBody.set(
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          CountDownLatch held = gate.get();
          if (held != null) {
            try {
              // Bounded, so a test that forgets to release cannot hang the server's threads.
              held.await(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          long delay = delayMs.get();
          if (delay > 0) {
            try {
              Thread.sleep(delay); // simulates a slow model, on the server's own thread
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          String escaped = content.get().replace("\\", "\\\\").replace("\"", "\\\"");
          byte[] body =
              ("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"judge-model\","
                      + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
                      + escaped
                      + "\"},\"finish_reason\":\"stop\"}],"
                      + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("content-type", "application/json");
          try {
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          } catch (IOException clientGone) {
            // the client timed out and closed the connection: nothing to answer to
          }
        });
    server.start();
  }

  /** The base URL, as a judge endpoint: {@code http://127.0.0.1:<port>/v1}. */
  URI baseUrl() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
  }

  int calls() {
    return calls.get();
  }

  /** Whether a call arrived within the timeout (at once if one did before). */
  boolean awaitCall(long timeout, TimeUnit unit) throws InterruptedException {
    return firstCall.await(timeout, unit);
  }

  void answer(String assistantContent) {
    content.set(assistantContent);
  }

  void delay(long ms) {
    delayMs.set(ms);
  }

  /** From now on, answers only after {@link #release()}. */
  void hold() {
    gate.set(new CountDownLatch(1));
  }

  /** Answers the calls held since {@link #hold()}, and the next ones at once. */
  void release() {
    CountDownLatch held = gate.getAndSet(null);
    if (held != null) {
      held.countDown();
    }
  }

  String lastAuthorization() {
    return lastAuthorization.get();
  }

  String lastBody() {
    return lastBody.get();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
