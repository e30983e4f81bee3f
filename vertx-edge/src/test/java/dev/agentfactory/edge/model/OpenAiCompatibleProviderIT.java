package dev.agentfactory.edge.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAI-compatible provider against a real local HTTP server speaking the SSE protocol. */
class OpenAiCompatibleProviderIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = "sk-test-5ecr3t-value-1234";

  private static Vertx vertx;
  private static HttpServer server;
  private static HttpClientAgent http;
  private static volatile Handler<HttpServerRequest> script;
  private static final List<Received> received = new CopyOnWriteArrayList<>();

  record Received(Map<String, String> headers, JsonNode body) {}

  @TempDir Path tmp;

  @BeforeAll
  static void startServer() throws Exception {
    vertx = Vertx.vertx();
    server =
        vertx
            .createHttpServer()
            .requestHandler(
                req ->
                    req.body()
                        .onSuccess(
                            body -> {
                              try {
                                received.add(
                                    new Received(
                                        Map.of(
                                            "authorization",
                                            String.valueOf(req.getHeader("authorization")),
                                            "path",
                                            req.path()),
                                        JSON.readTree(body.toString())));
                              } catch (Exception e) {
                                req.response().setStatusCode(599).end();
                                return;
                              }
                              script.handle(req);
                            }))
            .listen(0)
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    http = OpenAiCompatibleProvider.createHttpClient(vertx);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void reset() {
    received.clear();
  }

  private OpenAiCompatibleProvider provider(Optional<SecretRef> key, Duration read, int attempts) {
    OpenAiConfig config =
        new OpenAiConfig(
            URI.create("http://127.0.0.1:" + server.actualPort() + "/v1"),
            key,
            Duration.ofSeconds(2),
            read,
            new RetryPolicy(attempts, Duration.ofMillis(5), Duration.ofMillis(20)),
            true);
    return new OpenAiCompatibleProvider(
        vertx, http, config, name -> null, RandomGenerator.getDefault());
  }

  private OpenAiCompatibleProvider provider() {
    return provider(Optional.empty(), Duration.ofSeconds(5), 3);
  }

  private static ChatRequest request() {
    return new ChatRequest(
        "test-model",
        List.of(new ChatMessage.System("be brief"), new ChatMessage.User("hi")),
        List.of(),
        new ModelParameters(
            java.util.OptionalDouble.of(0.2),
            java.util.OptionalDouble.empty(),
            java.util.OptionalInt.of(64)));
  }

  static String content(String text) {
    return "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
        + JSON.valueToTree(text)
        + "},\"finish_reason\":null}]}\n\n";
  }

  static String finish(String reason) {
    return "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\""
        + reason
        + "\"}]}\n\n";
  }

  static final String USAGE =
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":3,"
          + "\"total_tokens\":13}}\n\n";
  static final String DONE = "data: [DONE]\n\n";

  static HttpServerResponse sse(HttpServerRequest req) {
    return req.response().setChunked(true).putHeader("content-type", "text/event-stream");
  }

  /** Writes each piece as its own chunk, one event-loop turn apart. */
  static void writeSlowly(HttpServerResponse response, List<String> pieces, Runnable after) {
    Vertx.currentContext()
        .runOnContext(
            v -> {
              if (pieces.isEmpty()) {
                after.run();
                return;
              }
              response.write(pieces.get(0));
              writeSlowly(response, pieces.subList(1, pieces.size()), after);
            });
  }

  static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  @Test
  void usageIsUnknownWithoutAUsageChunkAndATotalLeftOutIsTheSum() throws Exception {
    script = req -> sse(req).end(content("no usage") + finish("stop") + DONE);
    TokenUsage none = await(provider().stream(request()).response()).usage();
    script =
        req ->
            sse(req)
                .end(
                    content("no total")
                        + finish("stop")
                        + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,"
                        + "\"completion_tokens\":3}}\n\n"
                        + DONE);
    TokenUsage noTotal = await(provider().stream(request()).response()).usage();

    assertThat(none.known()).isFalse();
    assertThat(none).isEqualTo(TokenUsage.UNKNOWN).isNotEqualTo(TokenUsage.NONE);
    assertThat(noTotal).isEqualTo(new TokenUsage(10, 3, 13));
  }

  @Test
  void plainTextStreamsAsDeltasWithUsage() throws Exception {
    script =
        req -> {
          HttpServerResponse r = sse(req);
          writeSlowly(
              r,
              List.of(
                  ": keep-alive\n\n",
                  content("Hello"),
                  content(", wor"),
                  content("ld"),
                  finish("stop"),
                  USAGE,
                  DONE),
              r::end);
        };
    ModelStream stream = provider().stream(request());
    List<ModelEvent> events = new CopyOnWriteArrayList<>();
    stream.handler(events::add);
    ModelResponse response = await(stream.result());

    assertThat(events)
        .filteredOn(ModelEvent.TextDelta.class::isInstance)
        .extracting(e -> ((ModelEvent.TextDelta) e).text())
        .containsExactly("Hello", ", wor", "ld");
    assertThat(events.get(events.size() - 1)).isEqualTo(new ModelEvent.Completed(response));
    assertThat(response.text()).isEqualTo("Hello, world");
    assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(response.usage()).isEqualTo(new TokenUsage(10, 3, 13));
    assertThat(response.model()).isEqualTo("m");
    assertThat(response.scripted()).isFalse();

    JsonNode body = received.get(0).body();
    assertThat(received.get(0).headers().get("path")).isEqualTo("/v1/chat/completions");
    assertThat(body.get("stream").booleanValue()).isTrue();
    assertThat(body.at("/stream_options/include_usage").booleanValue()).isTrue();
    assertThat(body.get("model").textValue()).isEqualTo("test-model");
    assertThat(body.get("max_tokens").intValue()).isEqualTo(64);
    assertThat(body.at("/messages/1/role").textValue()).isEqualTo("user");
    assertThat(received.get(0).headers().get("authorization")).isEqualTo("null");
  }

  @Test
  void toolCallsAreAssembledFromFragmentsOfTwoParallelCalls() throws Exception {
    String first =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":["
            + "{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":"
            + "\"sandbox_exec\",\"arguments\":\"\"}}]}}]}\n\n";
    String second =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":["
            + "{\"index\":1,\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":"
            + "\"sandbox_read_file\",\"arguments\":\"\"}}]}}]}\n\n";
    List<String> pieces = new java.util.ArrayList<>(List.of(first, second));
    String[] a = {"{\"comm", "and\": \"ls", " -la\"}"};
    String[] b = {"{\"pa", "th\": \"/work", "space/a.txt\"", "}"};
    for (int i = 0; i < 4; i++) {
      if (i < a.length) {
        pieces.add(fragment(0, a[i]));
      }
      pieces.add(fragment(1, b[i]));
    }
    pieces.add(finish("tool_calls"));
    pieces.add(USAGE);
    // one SSE line split across two TCP writes
    pieces.add("data: [DO");
    pieces.add("NE]\n\n");
    script =
        req -> {
          HttpServerResponse r = sse(req);
          writeSlowly(r, pieces, r::end);
        };
    ModelStream stream = provider().stream(request());
    List<ModelEvent> events = new CopyOnWriteArrayList<>();
    stream.handler(events::add);
    ModelResponse response = await(stream.result());

    ToolCall exec = new ToolCall("call_a", "sandbox_exec", "{\"command\": \"ls -la\"}");
    ToolCall read = new ToolCall("call_b", "sandbox_read_file", "{\"path\": \"/workspace/a.txt\"}");
    assertThat(response.toolCalls()).containsExactly(exec, read);
    assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
    assertThat(events)
        .filteredOn(ModelEvent.ToolCallReady.class::isInstance)
        .containsExactly(
            new ModelEvent.ToolCallReady(0, exec), new ModelEvent.ToolCallReady(1, read));
    assertThat(events).filteredOn(ModelEvent.ToolCallDelta.class::isInstance).hasSize(9);
  }

  private static String fragment(int index, String arguments) {
    return "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":"
        + index
        + ",\"function\":{\"arguments\":"
        + JSON.valueToTree(arguments)
        + "}}]}}]}\n\n";
  }

  @Test
  void rateLimitIsRetriedAndThenSucceeds() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    script =
        req -> {
          if (calls.incrementAndGet() == 1) {
            req.response()
                .setStatusCode(429)
                .putHeader("retry-after", "0")
                .end("{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}");
          } else {
            sse(req).end(content("ok") + finish("stop") + DONE);
          }
        };
    ModelResponse response = await(provider().stream(request()).response());

    assertThat(response.text()).isEqualTo("ok");
    assertThat(received).hasSize(2);
  }

  @Test
  void serverErrorAfterStreamedTextIsNotRetriedAndKeepsThePartialText() {
    script =
        req -> {
          HttpServerResponse r = sse(req);
          writeSlowly(
              r,
              List.of(
                  content("Hello"),
                  content(", wor"),
                  "data: {\"error\":{\"message\":\"upstream crashed\",\"code\":500}}\n\n"),
              r::end);
        };
    ModelStream stream = provider().stream(request());
    List<ModelEvent> events = new CopyOnWriteArrayList<>();
    stream.handler(events::add);

    assertThatThrownBy(() -> await(stream.result()))
        .isInstanceOfSatisfying(
            FatalModelException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ModelErrorCode.STREAM_INTERRUPTED);
              assertThat(e.partialText()).isEqualTo("Hello, wor");
              assertThat(e.getMessage()).contains("upstream crashed");
              assertThat(e.getCause())
                  .isInstanceOfSatisfying(
                      ModelException.class,
                      c -> assertThat(c.code()).isEqualTo(ModelErrorCode.SERVER_ERROR));
            });
    assertThat(events).hasSize(2);
    assertThat(received).hasSize(1);
  }

  @Test
  void connectionLostMidStreamIsNotRetried() {
    script =
        req -> {
          HttpServerResponse r = sse(req);
          writeSlowly(r, List.of(content("Hel"), content("lo")), () -> req.connection().close());
        };
    assertThatThrownBy(() -> await(provider().stream(request()).response()))
        .isInstanceOfSatisfying(
            FatalModelException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ModelErrorCode.STREAM_INTERRUPTED);
              assertThat(e.partialText()).isEqualTo("Hello");
            });
    assertThat(received).hasSize(1);
  }

  @Test
  void malformedSseLineIsATypedError() {
    script = req -> sse(req).end(content("a") + "data: {not json\n\n");
    assertThatThrownBy(() -> await(provider().stream(request()).response()))
        .isInstanceOfSatisfying(
            FatalModelException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ModelErrorCode.MALFORMED_RESPONSE);
              assertThat(e.partialText()).isEqualTo("a");
            });
    assertThat(received).hasSize(1);
  }

  @Test
  void silenceBeyondTheReadTimeoutIsRetriedThenRetriable() {
    script = req -> {}; // never answers
    OpenAiCompatibleProvider provider = provider(Optional.empty(), Duration.ofMillis(300), 2);

    assertThatThrownBy(() -> await(provider.stream(request()).response()))
        .isInstanceOfSatisfying(
            RetriableModelException.class,
            e -> assertThat(e.code()).isEqualTo(ModelErrorCode.TIMEOUT));
    assertThat(received).hasSize(2);
  }

  @Test
  void apiKeyIsSentAsBearerAndNeverAppearsInErrors() throws Exception {
    Path secret = tmp.resolve("openai-key");
    Files.writeString(secret, KEY + "\n");
    script =
        req ->
            req.response()
                .setStatusCode(401)
                .end(
                    "{\"error\":{\"message\":\"Incorrect API key provided: "
                        + KEY
                        + "\",\"type\":\"invalid_request_error\"}}");
    OpenAiCompatibleProvider provider =
        provider(Optional.of(SecretRef.parse("file:" + secret)), Duration.ofSeconds(5), 3);

    assertThatThrownBy(() -> await(provider.stream(request()).response()))
        .isInstanceOfSatisfying(
            FatalModelException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ModelErrorCode.UNAUTHORIZED);
              assertThat(e.httpStatus()).hasValue(401);
              assertThat(e.getMessage()).contains("Incorrect API key").doesNotContain(KEY);
              assertThat(e.toString()).doesNotContain(KEY);
            });
    assertThat(received).hasSize(1);
    assertThat(received.get(0).headers().get("authorization")).isEqualTo("Bearer " + KEY);
    assertThat(provider.toString()).doesNotContain(KEY).contains("file:" + secret);
  }

  @Test
  void missingSecretFailsWithoutCallingTheServer() {
    OpenAiCompatibleProvider provider =
        provider(Optional.of(SecretRef.parse("env:AF_TEST_NO_SUCH_KEY")), Duration.ofSeconds(5), 3);
    assertThatThrownBy(() -> await(provider.stream(request()).response()))
        .isInstanceOfSatisfying(
            FatalModelException.class,
            e -> assertThat(e.code()).isEqualTo(ModelErrorCode.SECRET_UNAVAILABLE));
    assertThat(received).isEmpty();
  }

  @Test
  void aPausedConsumerStopsTheServerThroughBackPressure() throws Exception {
    int deltas = 4_000;
    String piece = "x".repeat(1_000);
    String chunk = content(piece);
    AtomicInteger stalls = new AtomicInteger();
    AtomicBoolean written = new AtomicBoolean();
    script =
        req -> {
          HttpServerResponse r = sse(req);
          new Object() {
            int sent;

            void pump() {
              while (sent < deltas && !r.writeQueueFull()) {
                r.write(chunk);
                sent++;
              }
              if (sent < deltas) {
                stalls.incrementAndGet();
                r.drainHandler(v -> pump());
              } else {
                r.end(finish("stop") + DONE);
                written.set(true);
              }
            }
          }.pump();
        };
    BufferedModelStream stream = (BufferedModelStream) provider().stream(request());
    AtomicInteger delivered = new AtomicInteger();
    stream.pause();
    stream.handler(e -> delivered.incrementAndGet());

    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> stalls.get() > 0);
    assertThat(written).isFalse();
    assertThat(delivered).hasValue(0);
    assertThat(stream.buffered()).isLessThanOrEqualTo(BufferedModelStream.HIGH_WATER + 1);

    stream.resume();
    ModelResponse response = await(stream.result());
    assertThat(response.text()).hasSize(deltas * piece.length());
    assertThat(delivered).hasValue(deltas + 1);
  }

  @Test
  void cancelStopsTheCall() {
    script = req -> sse(req).write(content("partial"));
    ModelStream stream = provider().stream(request());
    List<ModelEvent> events = new CopyOnWriteArrayList<>();
    stream.handler(events::add);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !events.isEmpty());
    stream.cancel();
    assertThatThrownBy(() -> await(stream.result()))
        .isInstanceOfSatisfying(
            FatalModelException.class,
            e -> assertThat(e.code()).isEqualTo(ModelErrorCode.CANCELLED));
  }
}
