package dev.agentfactory.edge.tools;

import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.sandbox.SandboxException;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the model reads of a tool call that failed with an exception, the same for every tool
 * ({@code sandbox_exec}, the file tools, {@code http.fetch}, MCP tools): a typed failure of the
 * sandbox or of the cluster (a borrowed sandbox whose host did not answer) reads {@code code:
 * message}, wherever it sits under the wrappers of stages and MCP clients; anything else its
 * message. Never a Java class name or a stack trace: a failure without a type or a message is
 * logged with its stack, and the model reads that it was.
 *
 * <pre>{@code
 * ToolFailure.forTool("files_read", e); // "cluster.peer_timeout: node n2 did not answer …"
 * ToolFailure.reason(e);                // the same without the tool's name on an untyped failure
 * }</pre>
 */
public final class ToolFailure {

  private static final Logger LOG = LoggerFactory.getLogger(ToolFailure.class);

  /** What an untyped failure without a message reads as. */
  static final String UNEXPECTED = "unexpected error (logged by the edge)";

  private ToolFailure() {}

  /**
   * The error result's text of a failed call of {@code function}: {@code code: message} for a typed
   * failure, {@code <function> failed: <reason>} for another.
   */
  public static String forTool(String function, Throwable failure) {
    return typed(failure).orElseGet(() -> function + " failed: " + reason(failure));
  }

  /** {@code code: message} for a typed failure, else the failure's own message. */
  public static String reason(Throwable failure) {
    return typed(failure).orElseGet(() -> untyped(failure));
  }

  /** {@code code: message} of the outermost sandbox or cluster failure in the chain, if any. */
  static Optional<String> typed(Throwable failure) {
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
      if (t instanceof SandboxException sandbox) {
        return Optional.of(sandbox.code() + ": " + sandbox.getMessage());
      }
      if (t instanceof ClusterException cluster) {
        return Optional.of(cluster.code() + ": " + cluster.getMessage());
      }
    }
    return Optional.empty();
  }

  private static String untyped(Throwable failure) {
    Throwable cause = failure;
    // a wrapper made of its cause alone (a stage's CompletionException, an UncheckedIOException)
    // has the cause's class name for a message: the cause speaks instead
    while (cause.getCause() != null
        && (cause instanceof CompletionException
            || cause instanceof ExecutionException
            || String.valueOf(cause.getCause()).equals(cause.getMessage()))) {
      cause = cause.getCause();
    }
    String message = cause.getMessage();
    if (message == null || message.isBlank()) {
      // nothing the model could act on: the stack belongs in the log, which the model is told of
      LOG.warn("a tool call failed unexpectedly", cause);
      return UNEXPECTED;
    }
    LOG.debug("a tool call failed", cause);
    return message;
  }
}
