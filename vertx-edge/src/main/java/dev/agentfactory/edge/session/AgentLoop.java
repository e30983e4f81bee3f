package dev.agentfactory.edge.session;

import dev.agentfactory.edge.agent.AgentSpec;
import dev.agentfactory.edge.agent.AgentVersion;
import dev.agentfactory.edge.model.ChatMessage;
import dev.agentfactory.edge.model.ChatRequest;
import dev.agentfactory.edge.model.ModelEvent;
import dev.agentfactory.edge.model.ModelProvider;
import dev.agentfactory.edge.model.ModelResponse;
import dev.agentfactory.edge.model.ModelStream;
import dev.agentfactory.edge.model.TokenUsage;
import dev.agentfactory.edge.model.ToolCall;
import dev.agentfactory.edge.model.ToolDefinition;
import dev.agentfactory.edge.protocol.ServerFrame;
import dev.agentfactory.edge.tools.SessionTools;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent loop of one session: a user message goes to the model (streamed to the client), the
 * tool calls the model makes run in the session's sandbox (their output streamed too), their
 * results go back to the model, and so on until the model answers without calling a tool or a limit
 * is hit. The conversation carries over from one user message to the next.
 *
 * <p>Runs on the session's context. A slow client pauses the model stream (the session's WebSocket
 * write queue is full) rather than buffering without bound.
 */
final class AgentLoop {

  /** What the loop needs from its session. */
  interface Io {
    void send(ServerFrame frame);

    /** Whether the client is behind: the model stream should pause until {@link #onDrain}. */
    boolean writeQueueFull();

    void onDrain(Runnable resume);

    /**
     * Runs a shell command in the sandbox, streaming its output as {@code tool.output}. Never
     * fails: a command that could not start (no sandbox could be leased) is {@link
     * ToolRun#commandNotRun}, one whose run failed without an exit code {@link
     * ToolRun#commandFailed}.
     */
    Future<ToolRun> exec(String requestId, String callId, String command, Duration timeout);

    /** Runs {@code action} on the session's context after {@code delay}; the result cancels it. */
    Runnable schedule(Duration delay, Runnable action);
  }

  /**
   * What one user message cost and produced, for the interaction event. {@code usage} is unknown
   * when the model server did not report it for every model call of the turn. Of a turn cut short
   * (see {@link AgentTurnException#soFar}), what it got to: {@code lastResponse} null if no model
   * call finished, {@code usage} that of the model calls that finished.
   */
  record Turn(
      String requestId,
      String userContent,
      List<ChatMessage> produced,
      List<ToolCallRecord> toolCalls,
      ModelResponse lastResponse,
      TokenUsage usage,
      int modelCalls,
      long latencyMs) {}

  record ToolCallRecord(ToolCall call, ToolRun run) {}

  private final AgentVersion version;
  private final ModelProvider provider;
  private final Io io;
  private final SessionTools tools;
  private final TurnToolCalls toolCalls;
  private final List<ChatMessage> conversation = new ArrayList<>();

  /**
   * The tokens the session's model calls used, for max_tokens: as reported, or estimated for a call
   * whose usage the server did not report ({@link TokenUsage#estimate}).
   */
  private long sessionTokens;

  /** When the running turn started ({@link System#nanoTime}); its max_wall_time counts from it. */
  private long turnStarted;

  /** The running turn's max_wall_time has passed. */
  private boolean overtime;

  /** The model call in flight, cancelled when the turn runs out of time; null between calls. */
  private ModelStream inFlight;

  /** Set by {@link #cancel}: no model call, tool call or turn starts any more. */
  private boolean cancelled;

  /** Set by {@link #cancelTurn}: the running turn starts no more model or tool calls. */
  private boolean turnCancelled;

  /** The running turn's finished model calls so far, for a turn cut short. */
  private ModelResponse soFarResponse;

  private TokenUsage soFarUsage = TokenUsage.NONE;
  private int soFarModelCalls;

  AgentLoop(AgentVersion version, ModelProvider provider, Io io, SessionTools tools) {
    this.version = version;
    this.provider = provider;
    this.io = io;
    this.tools = tools;
    this.toolCalls = new TurnToolCalls(version, io, tools, new RunningTurn());
  }

  /** Ends the agent's MCP sessions. Never fails. */
  Future<Void> close() {
    return tools.close();
  }

  AgentVersion version() {
    return version;
  }

  /**
   * The session ended: the running turn stops now, failing with code {@code cancelled} (its model
   * call is cancelled, as at max_wall_time; a command running in the sandbox ends with the sandbox,
   * which the session releases), and no later step or tool call starts.
   */
  void cancel() {
    cancelled = true;
    ModelStream stream = inFlight;
    if (stream != null) {
      stream.cancel();
    }
  }

  /**
   * The client cancelled the running turn (a {@code cancel} frame): as {@link #cancel}, for this
   * turn only. Its model call is cancelled, no model or tool call starts after it, and it fails
   * with code {@code cancelled}; a command it runs is killed by the session, and a tool call
   * running now is answered as cancelled. The next message starts a turn as usual.
   */
  void cancelTurn() {
    turnCancelled = true;
    ModelStream stream = inFlight;
    if (stream != null) {
      stream.cancel();
    }
  }

  /** The running turn must stop: the session ended or the client cancelled it. */
  private boolean stopped() {
    return cancelled || turnCancelled;
  }

  /** Answers one user message; fails with {@link AgentTurnException} on a limit or model error. */
  Future<Turn> run(String requestId, String content) {
    long started = System.nanoTime();
    turnStarted = started;
    overtime = false;
    turnCancelled = false;
    int firstNew = conversation.size();
    conversation.add(new ChatMessage.User(content));
    Promise<Turn> done = Promise.promise();
    // max_wall_time is a deadline: a model call still streaming then is cancelled, a command gets
    // only the time left (runTool), and no model call starts after it (step)
    Runnable cancelDeadline =
        io.schedule(
            version.spec().limits().maxWallTime(),
            () -> {
              overtime = true;
              ModelStream stream = inFlight;
              if (stream != null) {
                stream.cancel();
              }
            });
    done.future()
        .onComplete(
            ar -> {
              cancelDeadline.run();
              inFlight = null;
            });
    soFarResponse = null;
    soFarUsage = TokenUsage.NONE;
    soFarModelCalls = 0;
    List<ToolCallRecord> calls = new ArrayList<>();
    guarded(
        done, () -> step(requestId, content, started, firstNew, calls, TokenUsage.NONE, 0, done));
    // A turn cut short is recorded too, with what it got to
    return done.future()
        .recover(
            e ->
                Future.failedFuture(
                    e instanceof AgentTurnException cut
                        ? cut.soFar(
                            new Turn(
                                requestId,
                                content,
                                List.copyOf(
                                    conversation.subList(firstNew + 1, conversation.size())),
                                List.copyOf(calls),
                                soFarResponse,
                                soFarUsage,
                                soFarModelCalls,
                                (System.nanoTime() - started) / 1_000_000))
                        : e));
  }

  /**
   * Runs one step of a turn. Whatever it throws fails the turn, which cancels its deadline: thrown
   * inside a future's callback, it would otherwise vanish, leaving the message unanswered and its
   * max_wall_time timer to fire into a later turn.
   */
  private static void guarded(Promise<Turn> done, Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      done.tryFail(e);
    }
  }

  private void step(
      String requestId,
      String content,
      long started,
      int firstNew,
      List<ToolCallRecord> calls,
      TokenUsage turnUsage,
      int modelCalls,
      Promise<Turn> done) {
    AgentSpec.Limits limits = version.spec().limits();
    if (stopped()) {
      done.fail(cancelledTurn());
      return;
    }
    if (modelCalls >= limits.maxTurns()) {
      done.fail(
          new AgentTurnException(
              "limit_exceeded", "the agent made " + modelCalls + " model calls (max_turns)"));
      return;
    }
    if (overtime || timeLeft().isZero()) {
      done.fail(overWallTime());
      return;
    }
    if (sessionTokens >= limits.maxTokens()) {
      done.fail(
          new AgentTurnException(
              "limit_exceeded", "the session used " + sessionTokens + " tokens"));
      return;
    }
    tools
        .definitions()
        .onFailure(
            e ->
                done.fail(
                    // a listing the end cut off (no sandbox for a stdio server) is no tool fault
                    stopped()
                        ? cancelledTurn()
                        : new AgentTurnException(
                            "tool_unavailable",
                            "the agent's tools could not be listed: " + e.getMessage())))
        .onSuccess(
            definitions ->
                guarded(
                    done,
                    () ->
                        callModel(
                            requestId,
                            content,
                            started,
                            firstNew,
                            calls,
                            turnUsage,
                            modelCalls,
                            done,
                            definitions)));
  }

  private void callModel(
      String requestId,
      String content,
      long started,
      int firstNew,
      List<ToolCallRecord> calls,
      TokenUsage turnUsage,
      int modelCalls,
      Promise<Turn> done,
      List<ToolDefinition> definitions) {
    if (stopped()) {
      // the session ended (or the client cancelled) while its MCP servers were listed
      done.fail(cancelledTurn());
      return;
    }
    ChatRequest request = version.spec().chatRequest(List.copyOf(conversation), definitions);
    ModelStream stream = provider.stream(request);
    inFlight = stream;
    stream.handler(
        event -> {
          if (event instanceof ModelEvent.TextDelta delta && !delta.text().isEmpty()) {
            io.send(new ServerFrame.AssistantDelta(requestId, delta.text()));
            if (io.writeQueueFull()) {
              stream.pause();
              io.onDrain(stream::resume);
            }
          }
        });
    stream
        .result()
        .onFailure(
            e -> {
              inFlight = null;
              done.fail(
                  stopped()
                      ? cancelledTurn()
                      : overtime
                          ? overWallTime()
                          : new AgentTurnException(
                              "model_error", "the model call failed: " + e.getMessage()));
            })
        .onSuccess(
            response ->
                guarded(
                    done,
                    () -> {
                      inFlight = null;
                      conversation.add(response.toMessage());
                      // Unknown usage is not zero: without an estimate max_tokens would never
                      // be reached with a server that reports none
                      sessionTokens +=
                          response.usage().known()
                              ? response.usage().totalTokens()
                              : TokenUsage.estimate(request, response);
                      TokenUsage usage = turnUsage.plus(response.usage());
                      int calls2 = modelCalls + 1;
                      soFarResponse = response;
                      soFarUsage = usage;
                      soFarModelCalls = calls2;
                      if (response.toolCalls().isEmpty()) {
                        done.complete(
                            new Turn(
                                requestId,
                                content,
                                List.copyOf(
                                    conversation.subList(firstNew + 1, conversation.size())),
                                List.copyOf(calls),
                                response,
                                usage,
                                calls2,
                                (System.nanoTime() - started) / 1_000_000));
                        return;
                      }
                      toolCalls
                          .runAll(requestId, response.toolCalls(), 0, calls, conversation)
                          .onFailure(done::fail)
                          .onSuccess(
                              v ->
                                  guarded(
                                      done,
                                      () ->
                                          step(
                                              requestId, content, started, firstNew, calls, usage,
                                              calls2, done)));
                    }));
  }

  /** What is left of the running turn's max_wall_time; zero once it has passed. */
  private Duration timeLeft() {
    Duration left =
        version
            .spec()
            .limits()
            .maxWallTime()
            .minus(Duration.ofNanos(System.nanoTime() - turnStarted));
    return left.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ZERO : left;
  }

  private AgentTurnException cancelledTurn() {
    return new AgentTurnException(
        "cancelled",
        cancelled
            ? "the session ended while the turn ran"
            : "the turn was cancelled by the client");
  }

  private AgentTurnException overWallTime() {
    return new AgentTurnException(
        "limit_exceeded",
        "the turn ran past max_wall_time ("
            + version.spec().limits().maxWallTime().toMillis()
            + " ms)");
  }

  /** The running turn as its tool calls see it. */
  private final class RunningTurn implements TurnToolCalls.TurnState {
    @Override
    public boolean stopped() {
      return AgentLoop.this.stopped();
    }

    @Override
    public boolean sessionEnded() {
      return cancelled;
    }

    @Override
    public boolean overtime() {
      return overtime;
    }

    @Override
    public Duration timeLeft() {
      return AgentLoop.this.timeLeft();
    }
  }
}
