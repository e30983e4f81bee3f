package dev.agentfactory.edge.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads client frames and writes server frames of protocol version {@value #VERSION}. Parsing is
 * strict: every problem becomes a {@link FrameException} whose code and field say what is wrong.
 */
public final class FrameCodec {

  public static final int VERSION = 1;
  static final int MAX_ID_LENGTH = 128;
  static final int MAX_ARGS = 256;
  static final long MAX_TIMEOUT_MS = 600_000;

  private final ObjectMapper mapper =
      RepeatedFields.strictMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  /** Parses one text frame. */
  public ClientFrame parse(String text) throws FrameException {
    JsonNode root;
    try (JsonParser parser = mapper.createParser(text)) {
      root = mapper.readTree(parser);
      if (root == null) {
        // no JSON at all, as an empty HTTP body is malformed_json there
        throw new FrameException(
            "malformed_json", "frame is empty: send one JSON object", null, null);
      }
      // A frame is one object: two run together, or an object and stray text, are not a frame
      // whose rest may be dropped (as the HTTP API refuses such a body).
      if (parser.nextToken() != null) {
        throw new FrameException(
            "malformed_json",
            "frame is not valid JSON: more follows its first value (send one object per frame)",
            null,
            null);
      }
    } catch (JsonProcessingException e) {
      String repeated = RepeatedFields.fieldOf(e);
      if (repeated != null) {
        throw new FrameException(
            "invalid_field", repeated + " is given more than once", repeated, null);
      }
      throw new FrameException(
          "malformed_json", "frame is not valid JSON: " + e.getOriginalMessage(), null, null);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a String reader does not fail
    }
    if (!root.isObject()) {
      throw new FrameException("malformed_frame", "frame must be a JSON object", null, null);
    }
    String id = optionalText(root, "id", null);
    if (id != null && (id.isEmpty() || id.length() > MAX_ID_LENGTH)) {
      throw new FrameException(
          "invalid_field", "id must be 1 to " + MAX_ID_LENGTH + " characters", "id", null);
    }
    JsonNode version = root.get("v");
    if (version == null || !version.isInt()) {
      throw new FrameException(
          "invalid_field", "v must be the protocol version " + VERSION, "v", id);
    }
    if (version.intValue() != VERSION) {
      throw new FrameException(
          "unsupported_version",
          "protocol version "
              + version.intValue()
              + " is not supported; this node speaks "
              + VERSION,
          "v",
          id);
    }
    String type = optionalText(root, "type", id);
    if (type == null) {
      throw new FrameException("invalid_field", "type is required", "type", id);
    }
    if (id == null) {
      throw new FrameException("invalid_field", "id is required", "id", null);
    }
    // Text decoded from a WebSocket frame's UTF-8 holds no lone surrogate; only a JSON escape
    // can make one, so frames without "\\u" (nearly all) skip the walk over the tree.
    if (text.contains("\\u") || hasLoneSurrogate(text)) {
      requireNoLoneSurrogate(root, id);
    }
    return switch (type) {
      case "exec" -> parseExec(root, id);
      case "ping" -> new ClientFrame.Ping(id);
      case "message" -> parseMessage(root, id);
      case "feedback" -> FeedbackFrames.parse(root, id);
      case "cancel" -> parseCancel(root, id);
      default ->
          throw new FrameException(
              "unknown_type",
              "unknown frame type '" + type + "'; expected exec, message, feedback, cancel or ping",
              "type",
              id);
    };
  }

  /**
   * Refuses {@code root} if a string in it, or a field name, has a lone UTF-16 surrogate. Every
   * frame is checked so; so is the body of {@code POST /v1/sessions/{id}/feedback}, which carries
   * the feedback frame's fields.
   *
   * @param id the request's id, echoed in the error
   */
  public static void requireNoLoneSurrogate(JsonNode root, String id) throws FrameException {
    String lone = loneSurrogateAt(root, "");
    if (lone != null) {
      // JSON may escape half of a UTF-16 pair (\ud800), UTF-8 cannot hold it: a command, message
      // or feedback would reach the sandbox, the model or Kafka with '?' in its place, so it is
      // refused instead.
      throw new FrameException(
          "invalid_field",
          (lone.isEmpty() ? "a field name" : lone)
              + " has a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair),"
              + " which no UTF-8 text can hold",
          lone.isEmpty() ? null : lone,
          id);
    }
  }

  /**
   * The path ({@code argv[2]}, {@code rejected.content}) of the first string under {@code node}
   * with a lone surrogate, "" for a field name with one, null if there is none.
   */
  private static String loneSurrogateAt(JsonNode node, String path) {
    if (node.isTextual()) {
      return hasLoneSurrogate(node.textValue()) ? path : null;
    }
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        String found = loneSurrogateAt(node.get(i), path + "[" + i + "]");
        if (found != null) {
          return found;
        }
      }
    } else if (node.isObject()) {
      for (var it = node.fields(); it.hasNext(); ) {
        var field = it.next();
        if (hasLoneSurrogate(field.getKey())) {
          return "";
        }
        String found =
            loneSurrogateAt(
                field.getValue(), path.isEmpty() ? field.getKey() : path + "." + field.getKey());
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  static boolean hasLoneSurrogate(String s) {
    return LoneSurrogates.indexIn(s) >= 0;
  }

  private static ClientFrame.Exec parseExec(JsonNode root, String id) throws FrameException {
    JsonNode command = root.get("command");
    JsonNode argvNode = root.get("argv");
    if ((command == null) == (argvNode == null)) {
      throw new FrameException(
          "invalid_field",
          "exec needs exactly one of command (a shell line) or argv",
          "command",
          id);
    }
    List<String> argv;
    if (command != null) {
      if (!command.isTextual() || command.textValue().isBlank()) {
        throw new FrameException(
            "invalid_field", "command must be a non-empty string", "command", id);
      }
      requireNoNul(command.textValue(), "command", id);
      argv = List.of("/bin/sh", "-c", command.textValue());
    } else {
      if (!argvNode.isArray() || argvNode.isEmpty() || argvNode.size() > MAX_ARGS) {
        throw new FrameException(
            "invalid_field", "argv must be an array of 1 to " + MAX_ARGS + " strings", "argv", id);
      }
      argv = new ArrayList<>();
      for (int i = 0; i < argvNode.size(); i++) {
        JsonNode arg = argvNode.get(i);
        if (!arg.isTextual()) {
          // named by its index, as a lone surrogate in an entry is (docs/protocol.md)
          String field = "argv[" + i + "]";
          throw new FrameException("invalid_field", field + " must be a string", field, id);
        }
        requireNoNul(arg.textValue(), "argv[" + i + "]", id);
        argv.add(arg.textValue());
      }
    }
    Optional<Duration> timeout = Optional.empty();
    JsonNode timeoutNode = root.get("timeout_ms");
    if (timeoutNode != null) {
      if (!timeoutNode.canConvertToLong()
          || !timeoutNode.isIntegralNumber()
          || timeoutNode.longValue() <= 0
          || timeoutNode.longValue() > MAX_TIMEOUT_MS) {
        throw new FrameException(
            "invalid_field",
            "timeout_ms must be a whole number from 1 to " + MAX_TIMEOUT_MS,
            "timeout_ms",
            id);
      }
      timeout = Optional.of(Duration.ofMillis(timeoutNode.longValue()));
    }
    return new ClientFrame.Exec(id, argv, timeout);
  }

  /**
   * A process's arguments are C strings: a NUL character (which JSON can escape) would end one
   * early, so the sandbox refuses it. Refused here, naming the field, before the command leases a
   * sandbox for a run that cannot start.
   */
  private static void requireNoNul(String text, String field, String id) throws FrameException {
    if (text.indexOf('\0') >= 0) {
      throw new FrameException(
          "invalid_field",
          field + " has a NUL character (\\u0000), which no command argument can hold",
          field,
          id);
    }
  }

  static final int MAX_MESSAGE_CHARS = 32 * 1024;

  private static ClientFrame.Message parseMessage(JsonNode root, String id) throws FrameException {
    JsonNode content = root.get("content");
    if (content == null || !content.isTextual() || content.textValue().isBlank()) {
      throw new FrameException(
          "invalid_field", "message needs content, a non-empty string", "content", id);
    }
    if (content.textValue().length() > MAX_MESSAGE_CHARS) {
      throw new FrameException(
          "invalid_field", "content is over " + MAX_MESSAGE_CHARS + " characters", "content", id);
    }
    return new ClientFrame.Message(id, content.textValue());
  }

  private static ClientFrame.Cancel parseCancel(JsonNode root, String id) throws FrameException {
    JsonNode target = root.get("target");
    if (target == null
        || !target.isTextual()
        || target.textValue().isEmpty()
        || target.textValue().length() > MAX_ID_LENGTH) {
      throw new FrameException(
          "invalid_field",
          "cancel needs target, the id (1 to "
              + MAX_ID_LENGTH
              + " characters) of an exec or message of this session",
          "target",
          id);
    }
    return new ClientFrame.Cancel(id, target.textValue());
  }

  private static String optionalText(JsonNode root, String field, String id) throws FrameException {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new FrameException("invalid_field", field + " must be a string", field, id);
    }
    return node.textValue();
  }

  /** Writes a server frame as one JSON text. */
  public String encode(long seq, ServerFrame frame) {
    ObjectNode node = mapper.createObjectNode();
    node.put("v", VERSION);
    node.put("type", frame.type());
    node.put("seq", seq);
    ObjectNode fields = mapper.valueToTree(frame);
    fields.remove("type");
    node.setAll(fields);
    try {
      return mapper.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + frame.type(), e);
    }
  }
}
