package dev.agentfactory.edge.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Turns the server-sent events of one streamed chat completion into {@link ModelEvent}s: text
 * deltas, tool call fragments assembled by {@code index}, the finish reason and the usage chunk
 * that {@code stream_options.include_usage} adds before {@code data: [DONE]}. One instance per HTTP
 * response; lines arrive without their {@code \n}.
 */
final class OpenAiStreamDecoder {

  private static final int MAX_ERROR_CHARS = 300;

  private final ObjectMapper mapper;
  private final BufferedModelStream out;
  private final UnaryOperator<String> redact;
  private final StringBuilder data = new StringBuilder();
  private final StringBuilder text = new StringBuilder();
  private final TreeMap<Integer, PendingCall> calls = new TreeMap<>();
  private String model;
  private FinishReason finishReason;
  private TokenUsage usage = TokenUsage.UNKNOWN;
  private boolean callsReady;
  private boolean done;

  OpenAiStreamDecoder(
      ObjectMapper mapper, BufferedModelStream out, String model, UnaryOperator<String> redact) {
    this.mapper = mapper;
    this.out = out;
    this.model = model;
    this.redact = redact;
  }

  /** The answer text streamed so far. */
  String text() {
    return text.toString();
  }

  boolean done() {
    return done;
  }

  /** One SSE line. Throws on anything that is not the protocol. */
  void line(String raw) {
    if (done) {
      return;
    }
    String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
    if (line.isEmpty()) {
      dispatch();
    } else if (line.startsWith(":")) {
      // an SSE comment: keep-alive from some servers
    } else if (line.startsWith("data:")) {
      String value = line.substring(5);
      if (data.length() > 0) {
        data.append('\n');
      }
      data.append(value.startsWith(" ") ? value.substring(1) : value);
    } else if (line.startsWith("event:") || line.startsWith("id:") || line.startsWith("retry:")) {
      // SSE fields the chat completions stream does not use
    } else {
      throw malformed("not a server-sent event line: " + abbreviate(line));
    }
  }

  /** The response body ended. Completes the stream, or throws if the answer was cut off. */
  void end() {
    dispatch();
    if (done) {
      return;
    }
    if (finishReason == null) {
      throw ModelException.of(
          ModelErrorCode.STREAM_INTERRUPTED,
          "the stream ended before the model finished (no finish_reason, no [DONE])",
          0,
          text(),
          null);
    }
    finish();
  }

  private void dispatch() {
    if (data.length() == 0) {
      return;
    }
    String payload = data.toString();
    data.setLength(0);
    if (payload.equals("[DONE]")) {
      finish();
      return;
    }
    JsonNode chunk;
    try {
      chunk = mapper.readTree(payload);
    } catch (JsonProcessingException e) {
      throw malformed("data is not JSON: " + abbreviate(payload));
    }
    if (chunk == null || !chunk.isObject()) {
      throw malformed("data is not a JSON object: " + abbreviate(payload));
    }
    if (chunk.hasNonNull("error")) {
      throw streamedError(chunk.get("error"));
    }
    if (chunk.path("model").isTextual()) {
      model = chunk.get("model").textValue();
    }
    JsonNode choices = chunk.path("choices");
    if (!choices.isMissingNode() && !choices.isArray()) {
      throw malformed("choices is not an array");
    }
    for (JsonNode choice : choices) {
      if (choice.path("index").asInt(0) == 0) {
        choice(choice);
      }
    }
    JsonNode usageNode = chunk.path("usage");
    if (usageNode.isObject()) {
      int prompt = usageNode.path("prompt_tokens").asInt(0);
      int completion = usageNode.path("completion_tokens").asInt(0);
      // total_tokens is what max_tokens counts: a server that leaves it out must not count as 0
      usage =
          new TokenUsage(
              prompt, completion, usageNode.path("total_tokens").asInt(prompt + completion));
    }
  }

  private void choice(JsonNode choice) {
    JsonNode delta = choice.path("delta");
    JsonNode content = delta.path("content");
    if (content.isTextual() && !content.textValue().isEmpty()) {
      text.append(content.textValue());
      out.emit(new ModelEvent.TextDelta(content.textValue()));
    }
    JsonNode toolCalls = delta.path("tool_calls");
    if (toolCalls.isArray()) {
      for (JsonNode fragment : toolCalls) {
        toolCallFragment(fragment);
      }
    }
    JsonNode reason = choice.path("finish_reason");
    if (reason.isTextual()) {
      finishReason = FinishReason.fromWire(reason.textValue());
      readyCalls();
    }
  }

  private void toolCallFragment(JsonNode fragment) {
    int index = fragment.path("index").asInt(calls.isEmpty() ? 0 : calls.lastKey());
    PendingCall call = calls.computeIfAbsent(index, i -> new PendingCall());
    // Some servers send "id": "" (or blanks) where others leave the id out: both are no id
    String id =
        fragment.path("id").isTextual() && !fragment.get("id").textValue().isBlank()
            ? fragment.get("id").textValue()
            : null;
    JsonNode function = fragment.path("function");
    String name = function.path("name").isTextual() ? function.get("name").textValue() : null;
    String arguments =
        function.path("arguments").isTextual() ? function.get("arguments").textValue() : "";
    if (id != null && call.id == null) {
      call.id = id;
    }
    // OpenAI sends the name once; a few servers repeat it on every fragment
    if (name != null && !name.isEmpty() && !name.equals(call.name)) {
      call.name = call.name == null ? name : call.name + name;
    }
    call.arguments.append(arguments);
    out.emit(new ModelEvent.ToolCallDelta(index, id, name, arguments));
  }

  private void readyCalls() {
    if (callsReady) {
      return;
    }
    callsReady = true;
    for (var entry : calls.entrySet()) {
      PendingCall call = entry.getValue();
      if (call.name == null) {
        throw malformed("tool call " + entry.getKey() + " has no function name");
      }
      out.emit(new ModelEvent.ToolCallReady(entry.getKey(), call.toolCall(entry.getKey())));
    }
  }

  private void finish() {
    done = true;
    readyCalls();
    FinishReason reason = finishReason;
    if (reason == null) {
      reason = calls.isEmpty() ? FinishReason.STOP : FinishReason.TOOL_CALLS;
    }
    List<ToolCall> assembled = new ArrayList<>();
    calls.forEach((index, call) -> assembled.add(call.toolCall(index)));
    out.complete(new ModelResponse("openai", model, text(), assembled, reason, usage, false));
  }

  private ModelException streamedError(JsonNode error) {
    String message =
        error.isTextual() ? error.textValue() : error.path("message").asText("unknown error");
    int status = error.path("code").isInt() ? error.get("code").intValue() : 0;
    ModelErrorCode code =
        status >= 400 ? ModelErrorCode.forStatus(status) : ModelErrorCode.SERVER_ERROR;
    return ModelException.of(
        code,
        "the server sent an error in the stream: " + redact.apply(abbreviate(message)),
        status,
        text(),
        null);
  }

  private ModelException malformed(String why) {
    return ModelException.of(
        ModelErrorCode.MALFORMED_RESPONSE,
        "malformed chat completions stream: " + redact.apply(why),
        0,
        text(),
        null);
  }

  static String abbreviate(String s) {
    return s.length() <= MAX_ERROR_CHARS ? s : s.substring(0, MAX_ERROR_CHARS) + "…";
  }

  private static final class PendingCall {
    String id;
    String name;
    final StringBuilder arguments = new StringBuilder();

    /**
     * The assembled call. llama.cpp and older servers omit ids, some send blank ones; the
     * conversation still needs one per call (the tool message answers it by id) and the interaction
     * event a non-blank one: {@code call_<index>}, the same in the ready event and the response.
     */
    ToolCall toolCall(int index) {
      return new ToolCall(id != null ? id : "call_" + index, name, arguments.toString());
    }
  }
}
