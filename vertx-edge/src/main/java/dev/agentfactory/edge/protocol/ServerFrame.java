package dev.agentfactory.edge.protocol;

/**
 * A frame the server sends. Each record becomes one JSON object with {@code v}, {@code type} and a
 * per-session {@code seq} added by {@link FrameCodec#encode}; record components become snake_case
 * fields. {@code docs/protocol.md} documents every type.
 */
public sealed interface ServerFrame {

  /** The wire name of this frame type. */
  String type();

  /**
   * The session is open and accepts frames. No sandbox is held yet: the first command or tool call
   * leases one ({@link SandboxLeased}). {@code node} is where the session lives (resume there),
   * {@code isolation} the isolation its sandbox will have. {@code agent} and {@code agentVersion}
   * are null for a plain (command-only) session.
   */
  record SessionReady(
      String sessionId, String node, String isolation, String agent, String agentVersion)
      implements ServerFrame {
    @Override
    public String type() {
      return "session.ready";
    }
  }

  /**
   * The session leased its sandbox, for the work about to run; sent once per session, before that
   * work's first output.
   *
   * @param fencingToken strictly increasing per sandbox: a holder with an older token is stale
   */
  record SandboxLeased(
      String sandboxId, String leaseId, long fencingToken, String node, String isolation)
      implements ServerFrame {
    @Override
    public String type() {
      return "sandbox.leased";
    }
  }

  /** A chunk of a running command's output, decoded as UTF-8. */
  record ExecOutput(String id, String stream, String data) implements ServerFrame {
    @Override
    public String type() {
      return "exec.output";
    }
  }

  /**
   * A command ended. {@code status} is exited, timeout, killed, or cancelled (a {@code cancel}
   * frame stopped it, or took it out of the queue before it ran: {@code exitCode} null).
   */
  record ExecExit(String id, String status, Integer exitCode, long durationMs, boolean truncated)
      implements ServerFrame {
    @Override
    public String type() {
      return "exec.exit";
    }
  }

  /**
   * The session's sandbox changed state while the session was idle: {@code paused} (frozen in
   * place), {@code hibernated} (workspace saved, processes gone) or {@code running} (woken up by
   * the next command; after hibernation, background processes did not survive).
   */
  record SandboxStateChanged(String state) implements ServerFrame {
    @Override
    public String type() {
      return "sandbox.state";
    }
  }

  /** A piece of the agent's answer, as the model streams it. */
  record AssistantDelta(String id, String text) implements ServerFrame {
    @Override
    public String type() {
      return "assistant.delta";
    }
  }

  /**
   * The agent calls a tool; its output follows as {@code tool.output}, then {@code tool.result}.
   */
  record ToolCall(String id, String callId, String name, String arguments) implements ServerFrame {
    @Override
    public String type() {
      return "tool.call";
    }
  }

  /** Output of a running tool call, in order. */
  record ToolOutput(String id, String callId, String stream, String data) implements ServerFrame {
    @Override
    public String type() {
      return "tool.output";
    }
  }

  /**
   * A tool call ended. For {@code sandbox_exec} {@code status} is exited, timeout, killed or failed
   * and {@code exitCode} the command's (null when it failed without one); for other tools it is ok
   * or error and {@code exitCode} null (they are not processes). A call of either kind answered
   * without running has status not_run and {@code exitCode} null. {@code isError} says the tool
   * reported an error (for a command: it did not exit on its own).
   */
  record ToolResult(
      String id, String callId, String status, Integer exitCode, long durationMs, boolean isError)
      implements ServerFrame {
    @Override
    public String type() {
      return "tool.result";
    }
  }

  /**
   * The agent finished answering message {@code id}. {@code scripted} is true when no language
   * model was involved (the built-in scripted policy). The token counts are null when unknown: the
   * model server did not report usage for every model call of the turn (unknown is not 0).
   */
  record TurnCompleted(
      String id,
      String finishReason,
      String model,
      boolean scripted,
      int modelCalls,
      Integer promptTokens,
      Integer completionTokens,
      long latencyMs)
      implements ServerFrame {
    @Override
    public String type() {
      return "turn.completed";
    }
  }

  /**
   * The feedback {@code id} on turn {@code turnId} is on Kafka as the event {@code eventId}, which
   * amends the turn's event {@code amendsEventId}.
   */
  record FeedbackRecorded(String id, String turnId, String eventId, String amendsEventId)
      implements ServerFrame {
    @Override
    public String type() {
      return "feedback.recorded";
    }
  }

  /**
   * Cancel {@code id} reached its {@code target}, an exec or message of the session, which is being
   * stopped: {@code state} says whether it had started ({@code running}) or still waited ({@code
   * queued}). The target's own last frame follows.
   */
  record CancelAccepted(String id, String target, String state) implements ServerFrame {
    @Override
    public String type() {
      return "cancel.accepted";
    }
  }

  /** The answer to a ping. */
  record Pong(String id) implements ServerFrame {
    @Override
    public String type() {
      return "pong";
    }
  }

  /**
   * Something went wrong. {@code id} names the request it answers (null when the frame could not be
   * read that far), {@code field} the offending field (may be null). The session stays open unless
   * the frame says {@code fatal}.
   */
  record Error(String id, String code, String message, String field, boolean fatal)
      implements ServerFrame {
    @Override
    public String type() {
      return "error";
    }
  }
}
