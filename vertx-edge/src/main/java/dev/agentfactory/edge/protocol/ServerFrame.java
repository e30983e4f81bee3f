package dev.agentfactory.edge.protocol;

/**
 * A frame the server sends. Each record becomes one JSON object with {@code v}, {@code type} and a
 * per-session {@code seq} added by {@link FrameCodec#encode}; record components become snake_case
 * fields. {@code docs/protocol.md} documents every type.
 */
public sealed interface ServerFrame {

  /** The wire name of this frame type. */
  String type();

  /** The session is open and its sandbox is leased and ready. */
  record SessionReady(
      String sessionId,
      String sandboxId,
      String leaseId,
      long fencingToken,
      String node,
      String isolation)
      implements ServerFrame {
    @Override
    public String type() {
      return "session.ready";
    }
  }

  /** A chunk of a running command's output, decoded as UTF-8. */
  record ExecOutput(String id, String stream, String data) implements ServerFrame {
    @Override
    public String type() {
      return "exec.output";
    }
  }

  /** A command ended. {@code status} is exited, timeout or killed. */
  record ExecExit(String id, String status, int exitCode, long durationMs, boolean truncated)
      implements ServerFrame {
    @Override
    public String type() {
      return "exec.exit";
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
