package dev.agentfactory.edge.tools;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * {@code files.read}, {@code files.write} and {@code files.list} over the sandbox's workspace file
 * API. The sandbox checks every path (no {@code ..}, no absolute path outside {@code /workspace},
 * no symbolic link); its refusals, like a missing file, come back as error results naming the code
 * ({@code path_outside_workspace}, {@code file_not_found}, …) so the model can correct itself. So
 * does a borrowed sandbox whose host did not answer in time ({@code cluster.peer_timeout}:
 * docs/operations.md), which the model may simply try again.
 */
final class FileTools {

  /** Files larger than this are refused: a model reads them in pieces with sandbox.exec. */
  static final long MAX_READ_BYTES = 256 * 1024;

  static final int MAX_WRITE_BYTES = 1 << 20;
  static final int MAX_LIST_ENTRIES = 1000;

  private FileTools() {}

  static Future<ToolResult> read(Context context, Sandbox sandbox, ToolArguments args) {
    String path = args.requiredText("path");
    long started = System.nanoTime();
    return settle(context, sandbox.readFile(path, MAX_READ_BYTES), started)
        .map(
            outcome -> {
              if (outcome.error != null) {
                return outcome.error;
              }
              String text;
              try {
                text =
                    StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap((byte[]) outcome.value))
                        .toString();
              } catch (CharacterCodingException e) {
                return ToolResult.error(
                    "not_text: " + path + " is not UTF-8 text; inspect it with sandbox.exec",
                    ms(started));
              }
              return ToolResult.ok(text, ms(started));
            });
  }

  static Future<ToolResult> write(Context context, Sandbox sandbox, ToolArguments args) {
    String path = args.requiredText("path");
    byte[] content = args.requiredText("content").getBytes(StandardCharsets.UTF_8);
    if (content.length > MAX_WRITE_BYTES) {
      throw new ToolArguments.ToolArgumentException(
          "argument 'content' is over " + MAX_WRITE_BYTES + " bytes");
    }
    long started = System.nanoTime();
    return settle(context, sandbox.writeFile(path, content), started)
        .map(
            outcome ->
                outcome.error != null
                    ? outcome.error
                    : ToolResult.ok("wrote " + content.length + " bytes to " + path, ms(started)));
  }

  static Future<ToolResult> list(Context context, Sandbox sandbox, ToolArguments args) {
    String path = args.optionalText("path").orElse("");
    long started = System.nanoTime();
    return settle(context, sandbox.listFiles(path), started)
        .map(
            outcome -> {
              if (outcome.error != null) {
                return outcome.error;
              }
              @SuppressWarnings("unchecked")
              List<FileEntry> entries = (List<FileEntry>) outcome.value;
              ObjectNode result = ToolArguments.JSON.createObjectNode();
              result.put("path", path.isEmpty() ? "." : path);
              ArrayNode list = result.putArray("entries");
              entries.stream()
                  .limit(MAX_LIST_ENTRIES)
                  .forEach(
                      e ->
                          list.addObject()
                              .put("name", e.name())
                              .put("type", type(e.type()))
                              .put("size", e.size()));
              if (entries.size() > MAX_LIST_ENTRIES) {
                result.put("truncated", true).put("total", entries.size());
              }
              return ToolResult.ok(result.toString(), ms(started));
            });
  }

  private static String type(FileEntry.Type type) {
    return switch (type) {
      case FILE -> "file";
      case DIRECTORY -> "dir";
      case SYMLINK -> "symlink";
      case OTHER -> "other";
    };
  }

  /** A value or an error result; a sandbox refusal is the model's problem, not the session's. */
  private record Outcome(Object value, ToolResult error) {}

  private static Future<Outcome> settle(Context context, CompletionStage<?> stage, long started) {
    return Future.fromCompletionStage(stage, context)
        .map(value -> new Outcome(value, null))
        .recover(
            e -> {
              Throwable cause =
                  e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
              return Future.succeededFuture(
                  new Outcome(null, ToolResult.error(message(cause), ms(started))));
            });
  }

  /**
   * {@code code: message} for a typed failure: the sandbox's own, or the cluster's for a borrowed
   * sandbox whose host did not answer in time ({@code cluster.peer_timeout}) or could not be
   * reached.
   */
  private static String message(Throwable cause) {
    if (cause instanceof SandboxException se) {
      return se.code() + ": " + se.getMessage();
    }
    if (cause instanceof ClusterException ce) {
      return ce.code() + ": " + ce.getMessage();
    }
    return cause.getClass().getSimpleName().toLowerCase(Locale.ROOT) + ": " + cause.getMessage();
  }

  static long ms(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1_000_000;
  }
}
