package dev.agentfactory.edge.tools;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.Sandbox;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * {@code files.read}, {@code files.write} and {@code files.list} over the sandbox's workspace file
 * API. The sandbox checks every path (no {@code ..}, no absolute path outside {@code /workspace},
 * no symbolic link); its refusals, like a missing file, fail the call, which {@link SessionTools}
 * turns into an error result naming the code ({@code path_outside_workspace}, {@code
 * file_not_found}, …: {@link ToolFailure}) so the model can correct itself, as it does a borrowed
 * sandbox whose host did not answer in time ({@code cluster.peer_timeout}: docs/operations.md),
 * which the model may simply try again.
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
    return Future.fromCompletionStage(sandbox.readFile(path, MAX_READ_BYTES), context)
        .map(
            bytes -> {
              String text;
              try {
                text =
                    StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes))
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
    return Future.fromCompletionStage(sandbox.writeFile(path, content), context)
        .map(done -> ToolResult.ok("wrote " + content.length + " bytes to " + path, ms(started)));
  }

  static Future<ToolResult> list(Context context, Sandbox sandbox, ToolArguments args) {
    String path = args.optionalText("path").orElse("");
    long started = System.nanoTime();
    return Future.fromCompletionStage(sandbox.listFiles(path), context)
        .map(
            entries -> {
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

  static long ms(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1_000_000;
  }
}
