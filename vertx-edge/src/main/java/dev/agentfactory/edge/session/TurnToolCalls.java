package dev.agentfactory.edge.session;

import dev.agentfactory.edge.agent.AgentVersion;
import dev.agentfactory.edge.agent.BuiltinTool;
import dev.agentfactory.edge.model.ChatMessage;
import dev.agentfactory.edge.model.ToolCall;
import dev.agentfactory.edge.protocol.LoneSurrogates;
import dev.agentfactory.edge.protocol.ServerFrame;
import dev.agentfactory.edge.tools.SessionTools;
import dev.agentfactory.edge.tools.ToolArguments;
import dev.agentfactory.edge.tools.ToolResult;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;

/**
 * The tool calls of an {@link AgentLoop} turn: the calls one model response makes run one after
 * another, a {@code sandbox_exec} command through the session ({@link AgentLoop.Io#exec}) and the
 * other tools through {@link SessionTools}, each announced and answered with frames and its result
 * appended to the conversation. A call the turn can no longer run (the session ended, the client
 * cancelled, max_wall_time passed) is answered without running.
 *
 * <p>Runs on the session's context, as the loop does.
 */
final class TurnToolCalls {

  /** A command's timeout when the model gives no {@code timeout_ms}. */
  static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);

  /** The largest {@code timeout_ms} the {@code sandbox_exec} schema offers. */
  static final int MAX_TOOL_TIMEOUT_MS = 600_000;

  static final int OUTPUT_FRAME_CHARS = 16 * 1024;

  /** What the tool calls need to know of the running turn, as its loop keeps it. */
  interface TurnState {
    /** The turn must stop: the session ended or the client cancelled it. */
    boolean stopped();

    /** The session ended (as opposed to the client cancelling the turn). */
    boolean sessionEnded();

    /** The turn's max_wall_time timer has fired. */
    boolean overtime();

    /** What is left of the turn's max_wall_time; zero once it has passed. */
    Duration timeLeft();
  }

  private final AgentVersion version;
  private final AgentLoop.Io io;
  private final SessionTools tools;
  private final TurnState turn;

  TurnToolCalls(AgentVersion version, AgentLoop.Io io, SessionTools tools, TurnState turn) {
    this.version = version;
    this.io = io;
    this.tools = tools;
    this.turn = turn;
  }

  /**
   * Runs the calls one after another (they share one sandbox), appending each result to {@code
   * conversation} and its record to {@code records}.
   */
  Future<Void> runAll(
      String requestId,
      List<ToolCall> toolCalls,
      int index,
      List<AgentLoop.ToolCallRecord> records,
      List<ChatMessage> conversation) {
    if (index == toolCalls.size()) {
      return Future.succeededFuture();
    }
    ToolCall call = toolCalls.get(index);
    io.send(new ServerFrame.ToolCall(requestId, call.id(), call.name(), call.argumentsJson()));
    return runTool(requestId, call)
        .map(run -> turn.stopped() ? asCancelled(run) : run)
        .compose(
            run -> {
              io.send(
                  new ServerFrame.ToolResult(
                      requestId,
                      call.id(),
                      run.status(),
                      run.exitCode(),
                      run.durationMs(),
                      run.isError()));
              records.add(new AgentLoop.ToolCallRecord(call, run));
              conversation.add(
                  new ChatMessage.Tool(
                      call.id(), run.forModel() != null ? run.forModel() : run.resultJson()));
              return runAll(requestId, toolCalls, index + 1, records, conversation);
            });
  }

  private Future<ToolRun> runTool(String requestId, ToolCall call) {
    if (turn.stopped()) {
      return Future.succeededFuture(
          notRun(
              call,
              turn.sessionEnded()
                  ? "not run: the session ended"
                  : "not run: the turn was cancelled"));
    }
    Duration left = turn.timeLeft();
    if (turn.overtime() || left.isZero()) {
      // Answered all the same: the model's tool calls each need a result in the conversation
      return Future.succeededFuture(notRun(call, "not run: the turn is past its max_wall_time"));
    }
    if (!isCommand(call)) {
      // SessionTools refuses arguments that are not one JSON object with an error result
      return tools
          .call(call)
          .map(
              result -> {
                sendOutput(requestId, call.id(), result);
                return ToolRun.of(result);
              });
    }
    String command;
    Duration timeout;
    try {
      ToolArguments args = ToolArguments.parse(call.argumentsJson());
      command = args.requiredText("command");
      timeout =
          args.optionalInt("timeout_ms", 1, MAX_TOOL_TIMEOUT_MS)
              .map(Duration::ofMillis)
              .orElse(TOOL_TIMEOUT);
    } catch (ToolArguments.ToolArgumentException e) {
      return Future.succeededFuture(ToolRun.commandNotRun(e.getMessage()));
    }
    if (command.isBlank()) {
      return Future.succeededFuture(ToolRun.commandNotRun("argument 'command' must not be blank"));
    }
    if (command.indexOf('\0') >= 0) {
      // checked before a sandbox is leased for it, as a client's exec frame is (FrameCodec)
      return Future.succeededFuture(
          ToolRun.commandNotRun(
              "argument 'command' has a NUL character (\\u0000), which no command can hold"));
    }
    // A command ends at the turn's deadline at the latest (status timeout)
    return io.exec(requestId, call.id(), command, left.compareTo(timeout) < 0 ? left : timeout);
  }

  /** Whether the call runs a command in the sandbox (the others are not processes). */
  private boolean isCommand(ToolCall call) {
    return SessionTools.isExec(call.name())
        && version.spec().tools().contains(BuiltinTool.SANDBOX_EXEC);
  }

  /**
   * A tool call answered without running, an error without exit code: a command's as a command's
   * result, another tool's as its errors are.
   */
  private ToolRun notRun(ToolCall call, String message) {
    return isCommand(call)
        ? ToolRun.commandNotRun(message)
        : new ToolRun(ToolRun.NOT_RUN, null, "", message, 0, true, ToolRun.errorJson(message));
  }

  /**
   * A tool call the session's end or the client's cancel cut off (or that ended as it came): status
   * cancelled. One that never ran stays {@value ToolRun#NOT_RUN}: nothing was cut off.
   */
  private static ToolRun asCancelled(ToolRun run) {
    if (!run.ran()) {
      return run;
    }
    return new ToolRun(
        "cancelled",
        run.exitCode(),
        run.stdout(),
        run.stderr(),
        run.durationMs(),
        true,
        run.forModel());
  }

  /** A tool's result as {@code tool.output} frames: stdout, or stderr for an error. */
  private void sendOutput(String requestId, String callId, ToolResult result) {
    String text = result.content();
    String stream = result.isError() ? "stderr" : "stdout";
    for (int at = 0; at < text.length(); ) {
      int end = LoneSurrogates.cutPoint(text, Math.min(text.length(), at + OUTPUT_FRAME_CHARS));
      io.send(new ServerFrame.ToolOutput(requestId, callId, stream, text.substring(at, end)));
      at = end;
    }
  }
}
