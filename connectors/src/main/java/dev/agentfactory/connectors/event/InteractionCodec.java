package dev.agentfactory.connectors.event;

import static dev.agentfactory.connectors.event.JsonFields.array;
import static dev.agentfactory.connectors.event.JsonFields.integral;
import static dev.agentfactory.connectors.event.JsonFields.object;
import static dev.agentfactory.connectors.event.JsonFields.optional;
import static dev.agentfactory.connectors.event.JsonFields.optionalBoolean;
import static dev.agentfactory.connectors.event.JsonFields.optionalText;
import static dev.agentfactory.connectors.event.JsonFields.required;
import static dev.agentfactory.connectors.event.JsonFields.requiredInt;
import static dev.agentfactory.connectors.event.JsonFields.requiredLong;
import static dev.agentfactory.connectors.event.JsonFields.requiredString;
import static dev.agentfactory.connectors.event.JsonFields.requiredText;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * JSON wire format of {@link Interaction} (see {@code docs/events.md}). Thread-safe; create one and
 * share it.
 *
 * <pre>{@code
 * InteractionCodec codec = new InteractionCodec();
 * byte[] json = codec.toJson(event);
 * Interaction back = codec.parse(json); // throws InvalidEventException naming the field
 * }</pre>
 *
 * <p>The mapping is written by hand rather than with data-binding annotations so that every failure
 * names the JSON field ({@code messages[2].role}) and unknown fields are ignored (newer producers
 * may add optional fields within schema version 1).
 */
public final class InteractionCodec {

  static final String SCHEMA_VERSION = "schema_version";
  static final String EVENT_ID = "event_id";
  static final String SESSION_ID = "gen_ai.conversation.id";
  static final String TURN = "turn";
  static final String TENANT = "tenant";
  static final String AGENT_NAME = "gen_ai.agent.name";
  static final String AGENT_VERSION = "gen_ai.agent.version";
  static final String OPERATION_NAME = "gen_ai.operation.name";
  static final String CREATED_AT = "created_at";
  static final String MESSAGES = "messages";
  static final String TOOL_CALL_IDS = "tool_call_ids";
  static final String ROLE = "role";
  static final String CONTENT = "content";
  static final String TOOL_CALLS = "tool_calls";
  static final String TOOL_CALL_ID = "gen_ai.tool.call.id";
  static final String TOOL_NAME = "gen_ai.tool.name";
  static final String ARGUMENTS = "arguments";
  static final String OUTPUT = "output";
  static final String EXIT_CODE = "exit_code";
  static final String STATUS = "status";
  static final String DURATION_MS = "duration_ms";
  static final String MODEL = "gen_ai.request.model";
  static final String INPUT_TOKENS = "gen_ai.usage.input_tokens";
  static final String OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
  static final String LATENCY_MS = "latency_ms";
  static final String TRACE_ID = "trace_id";
  static final String FEEDBACK = "feedback";
  static final String RATING = "rating";
  static final String REJECTED = "rejected";
  static final String COMMENT = "comment";
  static final String REFERENCE = "reference";
  static final String ANSWER = "answer";
  static final String VERIFIER = "verifier";
  static final String RUBRIC = "rubric";
  static final String EVAL = "eval";
  static final String AMENDS = "amends_event_id";
  static final String PII_SPANS = "pii_spans";
  static final String ENTITY_TYPE = "entity_type";
  static final String START = "start";
  static final String END = "end";
  static final String ACTION = "action";
  static final String FIELD = "field";
  static final String MESSAGE_INDEX = "message_index";
  static final String OUTCOME = "outcome";
  static final String OUTPUT_TRUNCATED = "output_truncated";
  static final String TRUNCATED = "truncated";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Serialises an event; never fails for a constructed {@link Interaction}. */
  public byte[] toJson(Interaction event) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put(SCHEMA_VERSION, event.schemaVersion());
    root.put(EVENT_ID, event.eventId().toString());
    root.put(SESSION_ID, event.sessionId());
    root.put(TURN, event.turn());
    root.put(TENANT, event.tenant());
    root.put(AGENT_NAME, event.agentName());
    root.put(AGENT_VERSION, event.agentVersion());
    root.put(OPERATION_NAME, event.operationName());
    root.put(CREATED_AT, event.createdAt().toString());
    ArrayNode messages = root.putArray(MESSAGES);
    for (Message m : event.messages()) {
      ObjectNode message =
          messages.addObject().put(ROLE, m.role().json()).put(CONTENT, m.content());
      if (!m.toolCallIds().isEmpty()) {
        ArrayNode ids = message.putArray(TOOL_CALL_IDS);
        m.toolCallIds().forEach(ids::add);
      }
    }
    ArrayNode calls = root.putArray(TOOL_CALLS);
    for (ToolCall c : event.toolCalls()) {
      ObjectNode call = calls.addObject();
      call.put(TOOL_CALL_ID, c.id());
      call.put(TOOL_NAME, c.name());
      call.put(ARGUMENTS, c.arguments());
      call.put(OUTPUT, c.output());
      call.put(EXIT_CODE, c.exitCode());
      call.put(STATUS, c.status().json());
      call.put(DURATION_MS, c.durationMs());
      if (c.outputTruncated()) {
        // only then, as for outcome: a whole output's call is what it was before the field
        call.put(OUTPUT_TRUNCATED, true);
      }
    }
    event.model().ifPresent(m -> root.put(MODEL, m));
    event
        .usage()
        .ifPresent(
            u -> {
              root.put(INPUT_TOKENS, u.inputTokens());
              root.put(OUTPUT_TOKENS, u.outputTokens());
            });
    root.put(LATENCY_MS, event.latencyMs());
    event.traceId().ifPresent(t -> root.put(TRACE_ID, t));
    event
        .feedback()
        .ifPresent(
            f -> {
              ObjectNode feedback = root.putObject(FEEDBACK);
              f.rating().ifPresent(r -> feedback.put(RATING, r.json()));
              if (!f.rejected().isEmpty()) {
                ArrayNode rejected = feedback.putArray(REJECTED);
                for (Message m : f.rejected()) {
                  rejected.addObject().put(ROLE, m.role().json()).put(CONTENT, m.content());
                }
              }
              f.comment().ifPresent(c -> feedback.put(COMMENT, c));
            });
    event
        .reference()
        .ifPresent(
            r -> {
              ObjectNode reference = root.putObject(REFERENCE).put(ANSWER, r.answer());
              r.verifier().ifPresent(v -> reference.put(VERIFIER, v));
              r.rubric().ifPresent(v -> reference.put(RUBRIC, v));
              reference.put(EVAL, r.eval());
            });
    event.amends().ifPresent(a -> root.put(AMENDS, a.toString()));
    if (!event.isCompleted()) {
      // only then: a completed turn's event is what it was before the field existed
      root.put(OUTCOME, event.outcome().json());
    }
    if (event.truncated()) {
      root.put(TRUNCATED, true);
    }
    if (!event.piiSpans().isEmpty()) {
      ArrayNode spans = root.putArray(PII_SPANS);
      for (PiiFinding f : event.piiSpans()) {
        ObjectNode span =
            spans
                .addObject()
                .put(ENTITY_TYPE, f.entityType())
                .put(START, f.start())
                .put(END, f.end())
                .put(ACTION, f.action())
                .put(FIELD, f.field());
        span.put(MESSAGE_INDEX, f.messageIndex());
      }
    }
    try {
      return MAPPER.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree", e);
    }
  }

  /**
   * Parses and validates one event.
   *
   * @throws InvalidEventException naming the offending field ({@code "$"} for malformed JSON)
   */
  public Interaction parse(byte[] json) {
    if (json == null || json.length == 0) {
      throw new InvalidEventException("$", "empty payload");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new InvalidEventException("$", "malformed JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new InvalidEventException("$", "unreadable: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new InvalidEventException("$", "must be a JSON object");
    }
    int version = requiredInt(root, SCHEMA_VERSION, "");
    if (version != Interaction.SCHEMA_VERSION) {
      throw new InvalidEventException(
          SCHEMA_VERSION, "unsupported version " + version + ", expected 1");
    }
    UUID eventId;
    String eventIdText = requiredText(root, EVENT_ID, "");
    try {
      eventId = UUID.fromString(eventIdText);
    } catch (IllegalArgumentException e) {
      throw new InvalidEventException(EVENT_ID, "not a UUID: " + Checks.quote(eventIdText));
    }
    Instant createdAt;
    String createdAtText = requiredText(root, CREATED_AT, "");
    try {
      createdAt = Instant.parse(createdAtText);
    } catch (DateTimeParseException e) {
      throw new InvalidEventException(
          CREATED_AT, "not an ISO-8601 instant: " + Checks.quote(createdAtText));
    }
    Optional<Usage> usage = Optional.empty();
    if (root.hasNonNull(INPUT_TOKENS) || root.hasNonNull(OUTPUT_TOKENS)) {
      usage =
          Optional.of(
              new Usage(
                  requiredLong(root, INPUT_TOKENS, ""), requiredLong(root, OUTPUT_TOKENS, "")));
    }
    return new Interaction(
        version,
        eventId,
        requiredText(root, SESSION_ID, ""),
        requiredInt(root, TURN, ""),
        requiredText(root, TENANT, ""),
        requiredText(root, AGENT_NAME, ""),
        requiredText(root, AGENT_VERSION, ""),
        requiredText(root, OPERATION_NAME, ""),
        createdAt,
        messages(root),
        toolCalls(root),
        Optional.ofNullable(optionalText(root, MODEL, "")),
        usage,
        root.hasNonNull(LATENCY_MS) ? requiredLong(root, LATENCY_MS, "") : 0L,
        Optional.ofNullable(optionalText(root, TRACE_ID, "")),
        feedback(root),
        reference(root),
        amends(root),
        piiSpans(root),
        outcome(root),
        optionalBoolean(root, TRUNCATED, ""));
  }

  private static TurnOutcome outcome(JsonNode root) {
    String text = optionalText(root, OUTCOME, "");
    return text == null ? TurnOutcome.COMPLETED : TurnOutcome.fromJson(OUTCOME, text);
  }

  private static Optional<UUID> amends(JsonNode root) {
    String text = optionalText(root, AMENDS, "");
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(UUID.fromString(text));
    } catch (IllegalArgumentException e) {
      throw new InvalidEventException(AMENDS, "not a UUID: " + Checks.quote(text));
    }
  }

  private static Optional<Feedback> feedback(JsonNode root) {
    JsonNode node = optional(root, FEEDBACK);
    if (node == null) {
      return Optional.empty();
    }
    object(node, FEEDBACK);
    String path = FEEDBACK + ".";
    String rating = optionalText(node, RATING, path);
    List<Message> rejected =
        node.hasNonNull(REJECTED) ? messageArray(node.get(REJECTED), path + REJECTED) : List.of();
    return Optional.of(
        new Feedback(
            Optional.ofNullable(rating == null ? null : Rating.fromJson(path + RATING, rating)),
            rejected,
            Optional.ofNullable(optionalText(node, COMMENT, path))));
  }

  private static Optional<Reference> reference(JsonNode root) {
    JsonNode node = optional(root, REFERENCE);
    if (node == null) {
      return Optional.empty();
    }
    object(node, REFERENCE);
    String path = REFERENCE + ".";
    boolean eval = optionalBoolean(node, EVAL, path);
    return Optional.of(
        new Reference(
            requiredText(node, ANSWER, path),
            Optional.ofNullable(optionalText(node, VERIFIER, path)),
            Optional.ofNullable(optionalText(node, RUBRIC, path)),
            eval));
  }

  private static List<PiiFinding> piiSpans(JsonNode root) {
    JsonNode array = optional(root, PII_SPANS);
    if (array == null) {
      return List.of();
    }
    array(array, PII_SPANS);
    List<PiiFinding> result = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String path = PII_SPANS + "[" + i + "].";
      JsonNode node = object(array.get(i), PII_SPANS + "[" + i + "]");
      JsonNode index = optional(node, MESSAGE_INDEX);
      try {
        result.add(
            new PiiFinding(
                requiredText(node, ENTITY_TYPE, path),
                requiredInt(node, START, path),
                requiredInt(node, END, path),
                requiredText(node, ACTION, path),
                requiredText(node, FIELD, path),
                index == null ? null : requiredInt(node, MESSAGE_INDEX, path)));
      } catch (InvalidEventException e) {
        String field = e.field().startsWith(PII_SPANS + ".") ? e.field().substring(10) : e.field();
        throw new InvalidEventException(field.startsWith(path) ? field : path + field, e.reason());
      }
    }
    return result;
  }

  /** The {@code arguments} JSON text of a sandbox command: {@code {"command":"..."}}. */
  public static String commandArguments(String command) {
    return MAPPER.createObjectNode().put("command", command).toString();
  }

  private static List<Message> messages(JsonNode root) {
    return messageArray(required(root, MESSAGES, ""), MESSAGES);
  }

  private static List<Message> messageArray(JsonNode array, String name) {
    array(array, name);
    List<Message> result = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String path = name + "[" + i + "].";
      JsonNode node = object(array.get(i), name + "[" + i + "]");
      Role role = Role.fromJson(path + ROLE, requiredText(node, ROLE, path));
      // Only the turn's own messages link to its tool calls; a rejected alternative has none.
      List<String> ids = name.equals(MESSAGES) ? toolCallIds(node, role, path) : List.of();
      result.add(new Message(role, requiredString(node, CONTENT, path), ids));
    }
    return result;
  }

  private static List<String> toolCallIds(JsonNode message, Role role, String path) {
    JsonNode array = optional(message, TOOL_CALL_IDS);
    if (array == null) {
      return List.of();
    }
    String field = path + TOOL_CALL_IDS;
    array(array, field);
    if (!array.isEmpty() && role != Role.ASSISTANT) {
      throw new InvalidEventException(
          field, "only an assistant message makes tool calls, not " + role.json());
    }
    List<String> ids = new ArrayList<>(array.size());
    for (int j = 0; j < array.size(); j++) {
      JsonNode id = array.get(j);
      String at = field + "[" + j + "]";
      if (!id.isTextual()) {
        throw new InvalidEventException(at, "must be a string");
      }
      ids.add(Checks.notBlank(at, id.textValue()));
    }
    return ids;
  }

  private static List<ToolCall> toolCalls(JsonNode root) {
    JsonNode array = optional(root, TOOL_CALLS);
    if (array == null) {
      return List.of();
    }
    array(array, TOOL_CALLS);
    List<ToolCall> result = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String path = TOOL_CALLS + "[" + i + "].";
      JsonNode node = object(array.get(i), TOOL_CALLS + "[" + i + "]");
      String arguments = requiredString(node, ARGUMENTS, path);
      checkJsonText(arguments, path + ARGUMENTS);
      ToolCallStatus status =
          ToolCallStatus.fromJson(path + STATUS, requiredText(node, STATUS, path));
      JsonNode exitCode = optional(node, EXIT_CODE);
      if (exitCode != null) {
        integral(exitCode, path + EXIT_CODE, exitCode.canConvertToInt(), 32);
      }
      try {
        result.add(
            new ToolCall(
                requiredText(node, TOOL_CALL_ID, path),
                requiredText(node, TOOL_NAME, path),
                arguments,
                optionalText(node, OUTPUT, path),
                exitCode == null ? null : exitCode.intValue(),
                status,
                node.hasNonNull(DURATION_MS) ? requiredLong(node, DURATION_MS, path) : 0L,
                optionalBoolean(node, OUTPUT_TRUNCATED, path)));
      } catch (InvalidEventException e) {
        // The field readers name the full path already; ToolCall's own checks only the field.
        String field = e.field();
        throw new InvalidEventException(field.startsWith(path) ? field : path + field, e.reason());
      }
    }
    return result;
  }

  /**
   * Exactly one JSON value, as the edge publishes arguments (it wraps any other text as {@code
   * {"_raw": ...}}). Empty text or a second value after the first is rejected: the scrubber walks
   * the structure of one value, so text after it would reach the datasets unscrubbed.
   */
  private static void checkJsonText(String text, String field) {
    try (JsonParser parser = MAPPER.createParser(text)) {
      JsonNode value = MAPPER.readTree(parser);
      if (value == null || value.isMissingNode()) {
        throw new InvalidEventException(field, "not valid JSON text: empty");
      }
      if (parser.nextToken() != null) {
        throw new InvalidEventException(field, "not valid JSON text: more than one JSON value");
      }
    } catch (IOException e) {
      throw new InvalidEventException(field, "not valid JSON text");
    }
  }
}
