package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import dev.agentfactory.connectors.event.TurnOutcome;
import dev.agentfactory.edge.FakeModelServer;
import dev.agentfactory.edge.FakeModelServer.Step;
import dev.agentfactory.edge.agent.AgentRef;
import dev.agentfactory.edge.agent.AgentSpec;
import dev.agentfactory.edge.agent.AgentSpecCodec;
import dev.agentfactory.edge.agent.AgentVersion;
import dev.agentfactory.edge.agent.ModelProviders;
import dev.agentfactory.edge.model.ChatRequest;
import dev.agentfactory.edge.model.ModelProvider;
import dev.agentfactory.edge.model.ModelStream;
import dev.agentfactory.edge.protocol.ServerFrame;
import dev.agentfactory.edge.tools.SessionTools;
import dev.agentfactory.sandbox.Sandbox;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent loop against the real OpenAI-compatible provider and a fake model server (the stand-in
 * for a hosted LLM), with the real {@link SessionTools}. The session's side of the loop ({@link
 * AgentLoop.Io}) is recorded instead of run: the commands the loop asks for and with which timeout,
 * and the max_wall_time timer it sets and whether it cancels it. AgentToolsIT runs the same loop
 * inside real sessions and sandboxes.
 */
class AgentLoopIT {

  private static final long WAIT_SECONDS = 30;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Supplier<Future<Sandbox>> NO_SANDBOX =
      () -> Future.failedFuture(new IllegalStateException("no sandbox could be leased"));

  private static Vertx vertx;
  private static Context context;
  private static ModelProviders providers;
  private FakeModelServer model;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    providers = new ModelProviders(vertx);
  }

  @AfterAll
  static void stop() throws Exception {
    providers.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  @BeforeEach
  void startModel() throws Exception {
    model = new FakeModelServer(vertx);
  }

  @AfterEach
  void stopModel() {
    model.close();
  }

  // -- a turn always ends, and ends its deadline ------------------------------------------------

  @Test
  void aTurnWhoseToolsCannotBeListedAtOnceIsAnsweredAndItsDeadlineCancelled() throws Exception {
    // A stdio MCP server runs in the sandbox; a lease that fails at once fails the listing at once
    RecordingIo io = new RecordingIo();
    AgentLoop loop =
        loop(
            "\"tools\":[\"files.list\"],\"mcp_servers\":[{\"name\":\"local\","
                + "\"command\":[\"/usr/bin/python3\",\"server.py\"]}]",
            io,
            NO_SANDBOX);

    for (int attempt = 1; attempt <= 2; attempt++) {
      AsyncResult<AgentLoop.Turn> turn = run(loop, "hello");

      assertThat(turn.failed()).isTrue();
      assertThat(turn.cause()).isInstanceOf(AgentTurnException.class);
      assertThat(((AgentTurnException) turn.cause()).code()).isEqualTo("tool_unavailable");
      assertThat(turn.cause().getMessage()).contains("no sandbox could be leased");
      assertThat(io.timers).hasSize(attempt);
      assertThat(io.timers)
          .as("no max_wall_time timer is left to fire into a later turn")
          .allMatch(t -> t.cancelled);
    }
    assertThat(model.requests()).isEmpty();
  }

  @Test
  void whateverAStepThrowsFailsTheTurnAndCancelsItsDeadline() throws Exception {
    // A model provider must never throw (it fails its stream); one that does still ends the turn
    RecordingIo io = new RecordingIo();
    AgentLoop loop =
        loop(
            "\"tools\":[\"sandbox.exec\"]",
            new ModelProvider() {
              @Override
              public String name() {
                return "throwing";
              }

              @Override
              public ModelStream stream(ChatRequest request) {
                throw new IllegalStateException("the provider broke its contract");
              }
            },
            io,
            NO_SANDBOX);

    AsyncResult<AgentLoop.Turn> turn = run(loop, "hello");

    assertThat(turn.failed()).isTrue();
    assertThat(turn.cause()).hasMessage("the provider broke its contract");
    assertThat(io.timers).hasSize(1).allMatch(t -> t.cancelled);
  }

  @Test
  void aStepThatThrowsInsideACallbackStillEndsTheTurn() throws Exception {
    // Thrown inside the model response's callback, an exception used to vanish with the turn
    RecordingIo io = new RecordingIo();
    io.execFailure = new IllegalStateException("the session is gone");
    AgentLoop loop = loop("\"tools\":[\"sandbox.exec\"]", io, NO_SANDBOX);
    model.script(Step.call("sandbox_exec", "{\"command\":\"true\"}"), Step.answer("done"));

    AsyncResult<AgentLoop.Turn> turn = run(loop, "run true");

    assertThat(turn.failed()).isTrue();
    assertThat(turn.cause()).hasMessage("the session is gone");
    assertThat(io.timers).hasSize(1).allMatch(t -> t.cancelled);
  }

  // -- sandbox_exec's timeout_ms ----------------------------------------------------------------

  @Test
  void aCommandRunsWithTheTimeoutTheModelAsksFor() throws Exception {
    RecordingIo io = new RecordingIo();
    AgentLoop loop = loop("\"tools\":[\"sandbox.exec\"]", io, NO_SANDBOX);
    model.script(
        Step.call("sandbox_exec", "{\"command\":\"make test\",\"timeout_ms\":120000}"),
        Step.call("sandbox_exec", "{\"command\":\"ls\"}"),
        Step.answer("done"));

    assertThat(run(loop, "test it").succeeded()).isTrue();

    assertThat(io.execs)
        .containsExactly(
            new Exec("make test", Duration.ofMillis(120_000)),
            new Exec("ls", Duration.ofSeconds(60)));
  }

  /**
   * The turn's deadline (5 min) lies past the 60 s default, so the command gets the time left: more
   * than the default it would get if timeout_ms were ignored, less than the 10 min it asked for.
   */
  @Test
  void aTimeoutPastTheTurnsDeadlineIsCutToTheTimeLeft() throws Exception {
    RecordingIo io = new RecordingIo();
    AgentLoop loop =
        loop(
            "\"tools\":[\"sandbox.exec\"],\"limits\":{\"max_wall_time_ms\":300000}",
            io,
            NO_SANDBOX);
    model.script(
        Step.call("sandbox_exec", "{\"command\":\"make\",\"timeout_ms\":600000}"),
        Step.answer("done"));

    assertThat(run(loop, "build it").succeeded()).isTrue();

    assertThat(io.execs).hasSize(1);
    assertThat(io.execs.get(0).timeout())
        .isGreaterThan(TurnToolCalls.TOOL_TIMEOUT)
        .isLessThanOrEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void anInvalidTimeoutIsAToolErrorTheModelReadsAndNothingRuns() throws Exception {
    RecordingIo io = new RecordingIo();
    AgentLoop loop = loop("\"tools\":[\"sandbox.exec\"]", io, NO_SANDBOX);
    List<String> timeouts = List.of("\"5s\"", "0", "600001", "2.5", "99999999999");
    for (String timeout : timeouts) {
      model.script(
          Step.call("sandbox_exec", "{\"command\":\"ls\",\"timeout_ms\":" + timeout + "}"));
    }
    model.script(Step.answer("done"));

    assertThat(run(loop, "list").succeeded()).isTrue();

    assertThat(io.execs).isEmpty();
    assertThat(io.results())
        .hasSize(timeouts.size())
        .allSatisfy(
            r -> {
              assertThat(r.status()).isEqualTo("not_run");
              assertThat(r.exitCode()).as("no exit code: nothing ran").isNull();
              assertThat(r.isError()).isTrue();
            });
    assertThat(toolMessages(last(model.requests())))
        .hasSize(timeouts.size())
        .allMatch(m -> m.contains("'timeout_ms' must be an integer from 1 to 600000"));
  }

  // -- a command that never ran ----------------------------------------------------------------

  @Test
  void aCommandWithoutACommandToRunDidNotRunAndHasNoExitCode() throws Exception {
    RecordingIo io = new RecordingIo();
    AgentLoop loop = loop("\"tools\":[\"sandbox.exec\"]", io, NO_SANDBOX);
    model.script(
        Step.call("sandbox_exec", "{\"timeout_ms\":1000}"),
        Step.call("sandbox_exec", "{\"command\":\"  \"}"),
        Step.answer("done"));

    AgentLoop.Turn turn = run(loop, "run nothing").result();

    assertThat(io.execs).as("no command ran").isEmpty();
    assertThat(io.results())
        .hasSize(2)
        .allSatisfy(
            r -> {
              assertThat(r.status()).isEqualTo("not_run");
              assertThat(r.exitCode()).isNull();
              assertThat(r.isError()).isTrue();
            });
    assertThat(turn.toolCalls())
        .extracting(c -> c.run().status(), c -> c.run().exitCode())
        .containsOnly(tuple("not_run", null));
    // the model reads the same: not run, no exit code
    assertThat(toolMessages(last(model.requests())))
        .hasSize(2)
        .allSatisfy(
            m -> {
              JsonNode result = json(m);
              assertThat(result.get("status").asText()).isEqualTo("not_run");
              assertThat(result.get("exit_code").isNull()).as(m).isTrue();
            });
  }

  @Test
  void aCommandWhoseSessionEndedBeforeItRanDidNotRunAndHasNoExitCode() throws Exception {
    RecordingIo io = new RecordingIo();
    AgentLoop loop = loop("\"tools\":[\"sandbox.exec\"]", io, NO_SANDBOX);
    // the session ends as the call is announced, before it runs
    io.onToolCall = loop::cancel;
    model.script(Step.call("sandbox_exec", "{\"command\":\"true\"}"), Step.answer("never"));

    AsyncResult<AgentLoop.Turn> turn = run(loop, "run true");

    assertThat(turn.failed()).isTrue();
    AgentTurnException cut = (AgentTurnException) turn.cause();
    assertThat(cut.code()).isEqualTo("cancelled");
    assertThat(io.execs).as("no command ran").isEmpty();
    assertThat(io.results())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.status()).isEqualTo("not_run");
              assertThat(r.exitCode()).isNull();
            });
    assertThat(cut.soFar().toolCalls())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.run().status()).isEqualTo("not_run");
              assertThat(c.run().exitCode()).isNull();
            });
  }

  // -- arguments that are not JSON --------------------------------------------------------------

  @Test
  void argumentsThatAreNotExactlyOneJsonObjectAreAToolErrorAndNothingRuns() throws Exception {
    RecordingIo io = new RecordingIo();
    AtomicInteger sandboxAsked = new AtomicInteger();
    AgentLoop loop =
        loop(
            "\"tools\":[\"sandbox.exec\",\"files.list\"]",
            io,
            () -> {
              sandboxAsked.incrementAndGet();
              return NO_SANDBOX.get();
            });
    model.script(
        Step.call("sandbox_exec", "{\"command\":\"echo a\"}{\"command\":\"echo b\"}"),
        Step.call("files_list", "{\"path\":\".\"} and more"),
        Step.call("sandbox_exec", "{\"command\":\"echo cut o"),
        Step.answer("done"));

    assertThat(run(loop, "do things").succeeded()).isTrue();

    assertThat(io.execs).as("no command ran").isEmpty();
    assertThat(sandboxAsked).as("no file tool ran").hasValue(0);
    assertThat(io.results()).hasSize(3).allMatch(ServerFrame.ToolResult::isError);
    assertThat(toolMessages(last(model.requests())))
        .hasSize(3)
        .allMatch(m -> m.contains("not valid JSON"));
  }

  // -- tool call ids ----------------------------------------------------------------------------

  /**
   * A server that sends {@code "id": ""} used to get a turn whose event could not be built (a call
   * id must not be blank): the turn was lost. The calls are named by their index instead, and the
   * tool results answer those names.
   */
  @Test
  void callsAServerLeavesWithBlankIdsAreNamedByIndexAndTheirResultsAnswerThoseNames()
      throws Exception {
    model.blankToolCallIds(true);
    RecordingIo io = new RecordingIo();
    AgentLoop loop = loop("\"tools\":[\"sandbox.exec\"]", io, NO_SANDBOX);
    model.script(
        Step.call("sandbox_exec", "{\"command\":\"true\"}"),
        Step.call("sandbox_exec", "{\"command\":\"ls\"}"),
        Step.answer("done"));

    AgentLoop.Turn turn = run(loop, "run two").result();

    assertThat(turn.toolCalls()).extracting(c -> c.call().id()).containsExactly("call_0", "call_0");
    JsonNode messages = last(model.requests()).path("messages");
    for (JsonNode message : messages) {
      if (message.path("role").asText().equals("assistant")) {
        assertThat(message.path("tool_calls").get(0).path("id").asText()).isEqualTo("call_0");
      } else if (message.path("role").asText().equals("tool")) {
        assertThat(message.path("tool_call_id").asText()).isEqualTo("call_0");
      }
    }
    assertThat(toolMessages(last(model.requests()))).hasSize(2);
    assertThat(io.frames)
        .filteredOn(ServerFrame.ToolCall.class::isInstance)
        .extracting(f -> ((ServerFrame.ToolCall) f).callId())
        .containsExactly("call_0", "call_0");
    Interaction event =
        new InteractionCodec()
            .parse(
                new InteractionCodec()
                    .toJson(
                        KafkaInteractionRecorder.toEvent(
                            new AgentTurnRecord(
                                "acme",
                                "s1",
                                1,
                                "looper",
                                "1",
                                turn,
                                Instant.now(),
                                TurnOutcome.COMPLETED))));
    assertThat(event.toolCalls())
        .extracting(dev.agentfactory.connectors.event.ToolCall::id)
        .containsExactly("call_0", "call_0");
  }

  // -- token usage ------------------------------------------------------------------------------

  @Test
  void usageTheServerDoesNotReportIsUnknownRatherThanZero() throws Exception {
    AgentLoop loop = loop("\"tools\":[]", new RecordingIo(), NO_SANDBOX);
    model.script(Step.answer("with usage"), Step.answer("without usage"));

    AgentLoop.Turn reported = run(loop, "one").result();
    model.reportsUsage(false);
    AgentLoop.Turn unreported = run(loop, "two").result();

    assertThat(reported.usage().known()).isTrue();
    assertThat(reported.usage().totalTokens()).isEqualTo(15);
    assertThat(unreported.usage().known()).isFalse();
  }

  @Test
  void withoutReportedUsageMaxTokensStillEndsTheSessionOnAnEstimate() throws Exception {
    model.reportsUsage(false);
    RecordingIo io = new RecordingIo();
    AgentLoop loop =
        loop("\"tools\":[\"sandbox.exec\"],\"limits\":{\"max_tokens\":100}", io, NO_SANDBOX);
    model.script(Step.call("sandbox_exec", "{\"command\":\"true\"}"), Step.answer("done"));

    // 600 characters are some 150 tokens: the first model call alone passes max_tokens
    AsyncResult<AgentLoop.Turn> turn = run(loop, "x".repeat(600));

    assertThat(turn.failed()).isTrue();
    assertThat(((AgentTurnException) turn.cause()).code()).isEqualTo("limit_exceeded");
    assertThat(turn.cause().getMessage()).contains("tokens");
    assertThat(model.requests()).as("no model call after the limit").hasSize(1);
  }

  // ---------------------------------------------------------------------------------------------

  private AgentLoop loop(String fields, RecordingIo io, Supplier<Future<Sandbox>> sandbox) {
    AgentSpec spec = spec(fields);
    return loop(fields, providers.forSpec("default", spec.model()), io, sandbox);
  }

  private AgentLoop loop(
      String fields, ModelProvider provider, RecordingIo io, Supplier<Future<Sandbox>> sandbox) {
    AgentSpec spec = spec(fields);
    AgentVersion version = new AgentVersion(AgentRef.of("looper"), 1, "hash", spec, Instant.now());
    return new AgentLoop(version, provider, io, new SessionTools(vertx, context, spec, sandbox));
  }

  private AgentSpec spec(String fields) {
    return new AgentSpecCodec()
        .parseJson(
            "{\"name\":\"looper\",\"model\":{\"provider\":\"openai\",\"name\":\"fake-model\","
                + "\"base_url\":\""
                + model.baseUrl()
                + "\"},\"sandbox\":{\"template\":\"shell\"},"
                + fields
                + "}");
  }

  /** One user message on the loop's context; a synchronous throw counts as a failed turn. */
  private static AsyncResult<AgentLoop.Turn> run(AgentLoop loop, String content) throws Exception {
    CompletableFuture<AsyncResult<AgentLoop.Turn>> done = new CompletableFuture<>();
    context.runOnContext(
        v -> {
          try {
            loop.run("q1", content).onComplete(done::complete);
          } catch (RuntimeException e) {
            done.complete(Future.failedFuture(e));
          }
        });
    return done.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  private static JsonNode last(List<JsonNode> requests) {
    return requests.get(requests.size() - 1);
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<String> toolMessages(JsonNode request) {
    return StreamSupport.stream(request.path("messages").spliterator(), false)
        .filter(m -> m.path("role").asText().equals("tool"))
        .map(m -> m.path("content").asText())
        .toList();
  }

  record Exec(String command, Duration timeout) {}

  /** A max_wall_time timer: never fires by itself here, so only its cancellation is seen. */
  static final class Timer {
    volatile boolean cancelled;
  }

  /** The session's side of the loop, recorded. */
  static final class RecordingIo implements AgentLoop.Io {
    final List<ServerFrame> frames = new CopyOnWriteArrayList<>();
    final List<Exec> execs = new CopyOnWriteArrayList<>();
    final List<Timer> timers = new CopyOnWriteArrayList<>();
    volatile RuntimeException execFailure;

    /** What every command prints. */
    volatile String stdout = "";

    /** Runs as a tool.call frame is sent, before the call runs; null for nothing. */
    volatile Runnable onToolCall;

    @Override
    public void send(ServerFrame frame) {
      frames.add(frame);
      Runnable hook = onToolCall;
      if (hook != null && frame instanceof ServerFrame.ToolCall) {
        hook.run();
      }
    }

    @Override
    public boolean writeQueueFull() {
      return false;
    }

    @Override
    public void onDrain(Runnable resume) {
      resume.run();
    }

    @Override
    public Future<ToolRun> exec(String requestId, String callId, String command, Duration timeout) {
      if (execFailure != null) {
        throw execFailure;
      }
      execs.add(new Exec(command, timeout));
      return Future.succeededFuture(new ToolRun("exited", 0, stdout, "", 1));
    }

    @Override
    public Runnable schedule(Duration delay, Runnable action) {
      Timer timer = new Timer();
      timers.add(timer);
      return () -> timer.cancelled = true;
    }

    List<ServerFrame.ToolResult> results() {
      return frames.stream()
          .filter(ServerFrame.ToolResult.class::isInstance)
          .map(ServerFrame.ToolResult.class::cast)
          .toList();
    }
  }
}
