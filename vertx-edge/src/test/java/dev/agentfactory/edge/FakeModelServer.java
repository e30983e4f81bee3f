package dev.agentfactory.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a hosted LLM (the one mock these tests allow): a real HTTP server speaking the
 * OpenAI chat-completions streaming protocol, answering each request with the next scripted step —
 * one tool call, or a final text — and keeping every request body so tests can see which tools were
 * offered and what the tools returned.
 */
public final class FakeModelServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One model answer: a tool call ({@code tool} and its arguments) or a final {@code text}; with
   * {@code hang}, the first piece of {@code text} and then silence, the response never ending; with
   * {@code release}, the answer only once that completes.
   */
  public record Step(
      String tool, String arguments, String text, boolean hang, CompletionStage<?> release) {
    Step(String tool, String arguments, String text) {
      this(tool, arguments, text, false, null);
    }

    public static Step hang(String firstText) {
      return new Step(null, null, firstText, true, null);
    }

    /**
     * {@code step} (a tool call or an answer), held back until the test completes {@code release}.
     */
    public static Step held(CompletionStage<?> release, Step step) {
      return new Step(step.tool(), step.arguments(), step.text(), false, release);
    }

    /** A call of {@code tool} with {@code arguments} exactly as given (they need not be JSON). */
    public static Step call(String tool, String arguments) {
      return new Step(tool, arguments, null);
    }

    public static Step answer(String text) {
      return new Step(null, null, text);
    }
  }

  private final HttpServer server;
  private final ConcurrentLinkedQueue<Step> script = new ConcurrentLinkedQueue<>();
  private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
  private int calls;
  private final AtomicInteger dropped = new AtomicInteger();
  private volatile boolean reportsUsage = true;
  private volatile boolean blankToolCallIds;

  public FakeModelServer(Vertx vertx) throws Exception {
    server =
        vertx
            .createHttpServer()
            .requestHandler(
                req ->
                    req.body()
                        .onSuccess(
                            body -> {
                              try {
                                requests.add(JSON.readTree(body.toString()));
                              } catch (Exception e) {
                                req.response().setStatusCode(400).end();
                                return;
                              }
                              Step step = script.poll();
                              if (step == null) {
                                step = Step.answer("(script exhausted)");
                              }
                              req.response()
                                  .setChunked(true)
                                  .putHeader("content-type", "text/event-stream")
                                  // only while it streams: the caller dropped the call
                                  .closeHandler(v -> dropped.incrementAndGet());
                              if (step.hang()) {
                                req.response().write(firstEvent(step));
                              } else if (step.release() != null) {
                                Step held = step;
                                Context context = vertx.getOrCreateContext();
                                step.release()
                                    .whenComplete(
                                        (v, e) ->
                                            context.runOnContext(
                                                x -> {
                                                  if (!req.response().closed()) {
                                                    req.response().end(events(held));
                                                  }
                                                }));
                              } else {
                                req.response().end(events(step));
                              }
                            }))
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(20, TimeUnit.SECONDS);
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.actualPort() + "/v1";
  }

  /**
   * The JSON spec of agent {@code runner}: this server's model, the {@code sandbox.exec} tool in a
   * {@code shell} sandbox, at most 5 model calls a turn. The session ITs derive their agents from
   * it.
   */
  public String runnerSpec() {
    return "{\"name\":\"runner\",\"model\":{\"provider\":\"openai\",\"name\":\"fake-model\","
        + "\"base_url\":\""
        + baseUrl()
        + "\"},\"tools\":[\"sandbox.exec\"],\"sandbox\":{\"template\":\"shell\"},"
        + "\"limits\":{\"max_turns\":5}}";
  }

  public void script(Step... steps) {
    script.addAll(List.of(steps));
  }

  /** Forgets the steps a test scripted but its agent never asked for. */
  public void clearScript() {
    script.clear();
  }

  public List<JsonNode> requests() {
    return requests;
  }

  /** How many calls their caller dropped (closed the connection) before the answer ended. */
  public int dropped() {
    return dropped.get();
  }

  /**
   * Whether answers end with a usage chunk, as with {@code stream_options.include_usage}; some
   * servers never send one.
   */
  public void reportsUsage(boolean reports) {
    reportsUsage = reports;
  }

  /** Whether tool calls come with {@code "id": ""}, as some compatible servers send them. */
  public void blankToolCallIds(boolean blank) {
    blankToolCallIds = blank;
  }

  private synchronized String events(Step step) {
    calls++;
    ObjectNode delta = JSON.createObjectNode().put("role", "assistant");
    String finish;
    if (step.tool() != null) {
      ObjectNode call = delta.putArray("tool_calls").addObject();
      call.put("index", 0)
          .put("id", blankToolCallIds ? "" : "call_" + calls)
          .put("type", "function");
      call.putObject("function").put("name", step.tool()).put("arguments", step.arguments());
      finish = "tool_calls";
    } else {
      delta.put("content", step.text());
      finish = "stop";
    }
    return event(chunk(delta, null))
        + event(chunk(JSON.createObjectNode(), finish))
        + (reportsUsage
            ? "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,"
                + "\"total_tokens\":15}}\n\n"
            : "")
        + "data: [DONE]\n\n";
  }

  private static String firstEvent(Step step) {
    return event(
        chunk(JSON.createObjectNode().put("role", "assistant").put("content", step.text()), null));
  }

  private static ObjectNode chunk(ObjectNode delta, String finish) {
    ObjectNode chunk = JSON.createObjectNode().put("model", "fake-model");
    ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
    choice.set("delta", delta);
    if (finish != null) {
      choice.put("finish_reason", finish);
    }
    return chunk;
  }

  private static String event(JsonNode data) {
    return "data: " + data + "\n\n";
  }

  @Override
  public void close() {
    server.close();
  }
}
