package dev.agentfactory.connectors.event;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * One agent interaction (a turn of a session) as it travels from the edge to the data plane.
 * Immutable and valid by construction: the constructor throws {@link InvalidEventException} naming
 * the JSON field. The wire format is documented in {@code docs/events.md} and implemented by {@link
 * InteractionCodec}.
 *
 * <p>The edge creates one with the {@link #builder() builder} or, for a sandbox command, with
 * {@link #sandboxCommand}:
 *
 * <pre>{@code
 * Interaction event =
 *     Interaction.sandboxCommand(
 *         "acme", sessionId, 3, "shell-agent", "1.0.0",
 *         "ls -la", "total 0\n", 0, Duration.ofMillis(12));
 * }</pre>
 *
 * @param schemaVersion {@code schema_version}, currently {@value #SCHEMA_VERSION}
 * @param eventId {@code event_id}, unique per event (the dedup key downstream)
 * @param sessionId {@code gen_ai.conversation.id}, also the Kafka record key
 * @param turn {@code turn}, 0-based position in the session
 * @param tenant {@code tenant}
 * @param agentName {@code gen_ai.agent.name}
 * @param agentVersion {@code gen_ai.agent.version}
 * @param operationName {@code gen_ai.operation.name}, e.g. {@code chat} or {@code execute_tool}
 * @param createdAt {@code created_at}
 * @param messages {@code messages}
 * @param toolCalls {@code tool_calls}
 * @param model {@code gen_ai.request.model}
 * @param usage {@code gen_ai.usage.input_tokens} and {@code gen_ai.usage.output_tokens}
 * @param latencyMs {@code latency_ms}, end-to-end time of the turn
 * @param traceId {@code trace_id}, the W3C trace id of the turn (32 lower-case hex digits)
 * @param feedback {@code feedback}, a person's rating or comparison of the turn's response
 * @param reference {@code reference}, the known right answer of the turn's task
 * @param amends {@code amends_event_id}: this event adds feedback or a reference to the earlier
 *     event of the same turn with that id; it is not a turn of its own (see {@link #isAmendment})
 * @param piiSpans {@code pii_spans}, what the pipeline's scrubber found (set by the pipeline)
 * @param outcome {@code outcome}, how the turn ended; {@link TurnOutcome#COMPLETED} unless it was
 *     cut short (see {@link #isCompleted})
 * @param truncated {@code truncated}: texts of the event (tool outputs first, then message
 *     contents, tool arguments, feedback and reference texts) were cut so that it fits in a Kafka
 *     record; a call whose output was cut says so itself ({@link ToolCall#outputTruncated})
 */
public record Interaction(
    int schemaVersion,
    UUID eventId,
    String sessionId,
    int turn,
    String tenant,
    String agentName,
    String agentVersion,
    String operationName,
    Instant createdAt,
    List<Message> messages,
    List<ToolCall> toolCalls,
    Optional<String> model,
    Optional<Usage> usage,
    long latencyMs,
    Optional<String> traceId,
    Optional<Feedback> feedback,
    Optional<Reference> reference,
    Optional<UUID> amends,
    List<PiiFinding> piiSpans,
    TurnOutcome outcome,
    boolean truncated) {

  /** The only schema version this code writes and accepts. */
  public static final int SCHEMA_VERSION = 1;

  /** {@code gen_ai.operation.name} for a chat completion turn. */
  public static final String OPERATION_CHAT = "chat";

  /** {@code gen_ai.operation.name} for a tool execution. */
  public static final String OPERATION_EXECUTE_TOOL = "execute_tool";

  /** The tool name the edge uses for commands run in a sandbox. */
  public static final String TOOL_SANDBOX_EXEC = "sandbox.exec";

  public Interaction {
    if (schemaVersion != SCHEMA_VERSION) {
      throw new InvalidEventException(
          "schema_version", "unsupported version " + schemaVersion + ", expected 1");
    }
    Checks.notNull("event_id", eventId);
    Checks.notBlank("gen_ai.conversation.id", sessionId);
    Checks.notNegative("turn", turn);
    Checks.notBlank("tenant", tenant);
    Checks.notBlank("gen_ai.agent.name", agentName);
    Checks.notBlank("gen_ai.agent.version", agentVersion);
    Checks.notBlank("gen_ai.operation.name", operationName);
    Checks.inStorableRange("created_at", createdAt);
    messages = List.copyOf(Checks.notNull("messages", messages));
    toolCalls = List.copyOf(Checks.notNull("tool_calls", toolCalls));
    ToolCallLinks.of(messages, toolCalls); // every tool_call_ids entry names a call
    Checks.notNull("gen_ai.request.model", model);
    Checks.notNull("usage", usage);
    Checks.notNegative("latency_ms", latencyMs);
    Checks.notNull("trace_id", traceId);
    traceId.ifPresent(Interaction::checkTraceId);
    Checks.notNull("feedback", feedback);
    Checks.notNull("reference", reference);
    Checks.notNull("amends_event_id", amends);
    if (amends.isPresent() && feedback.isEmpty() && reference.isEmpty()) {
      throw new InvalidEventException(
          "amends_event_id", "an amending event must carry feedback or a reference");
    }
    if (amends.isPresent() && amends.get().equals(eventId)) {
      throw new InvalidEventException("amends_event_id", "must not be the event's own event_id");
    }
    piiSpans = List.copyOf(Checks.notNull("pii_spans", piiSpans));
    // Null reads as completed: Flink restores an event it checkpointed before the field existed
    // (e.g. one in flight in the judge's async operator) with null for the new field.
    outcome = outcome == null ? TurnOutcome.COMPLETED : outcome;
  }

  /** A completed turn: the schema as it was before the optional {@code outcome}. */
  public Interaction(
      int schemaVersion,
      UUID eventId,
      String sessionId,
      int turn,
      String tenant,
      String agentName,
      String agentVersion,
      String operationName,
      Instant createdAt,
      List<Message> messages,
      List<ToolCall> toolCalls,
      Optional<String> model,
      Optional<Usage> usage,
      long latencyMs,
      Optional<String> traceId,
      Optional<Feedback> feedback,
      Optional<Reference> reference,
      Optional<UUID> amends,
      List<PiiFinding> piiSpans) {
    this(
        schemaVersion,
        eventId,
        sessionId,
        turn,
        tenant,
        agentName,
        agentVersion,
        operationName,
        createdAt,
        messages,
        toolCalls,
        model,
        usage,
        latencyMs,
        traceId,
        feedback,
        reference,
        amends,
        piiSpans,
        TurnOutcome.COMPLETED,
        false);
  }

  /**
   * An event without trace id, feedback, reference or PII findings: the schema as it was before
   * those optional fields.
   */
  public Interaction(
      int schemaVersion,
      UUID eventId,
      String sessionId,
      int turn,
      String tenant,
      String agentName,
      String agentVersion,
      String operationName,
      Instant createdAt,
      List<Message> messages,
      List<ToolCall> toolCalls,
      Optional<String> model,
      Optional<Usage> usage,
      long latencyMs) {
    this(
        schemaVersion,
        eventId,
        sessionId,
        turn,
        tenant,
        agentName,
        agentVersion,
        operationName,
        createdAt,
        messages,
        toolCalls,
        model,
        usage,
        latencyMs,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        List.of());
  }

  /**
   * An event without an {@code amends_event_id}: the schema as it was before that optional field.
   */
  public Interaction(
      int schemaVersion,
      UUID eventId,
      String sessionId,
      int turn,
      String tenant,
      String agentName,
      String agentVersion,
      String operationName,
      Instant createdAt,
      List<Message> messages,
      List<ToolCall> toolCalls,
      Optional<String> model,
      Optional<Usage> usage,
      long latencyMs,
      Optional<String> traceId,
      Optional<Feedback> feedback,
      Optional<Reference> reference,
      List<PiiFinding> piiSpans) {
    this(
        schemaVersion,
        eventId,
        sessionId,
        turn,
        tenant,
        agentName,
        agentVersion,
        operationName,
        createdAt,
        messages,
        toolCalls,
        model,
        usage,
        latencyMs,
        traceId,
        feedback,
        reference,
        Optional.empty(),
        piiSpans);
  }

  /**
   * Feedback or a reference that arrived after the turn: the same turn again, with a new {@code
   * event_id} and {@code amends_event_id} naming the original event. It is not a new turn: the
   * pipeline does not deduplicate it against the original, does not make an {@code sft} row of it
   * (the original made one) and does not count it in the live evaluation.
   */
  public boolean isAmendment() {
    return amends.isPresent();
  }

  /**
   * The amendment of this event that carries {@code feedback} and {@code reference} (either may be
   * null): the event id {@code newEventId}, {@code amends_event_id} = this event's id, everything
   * else as in this event.
   */
  public Interaction amendedWith(UUID newEventId, Feedback feedback, Reference reference) {
    return copy()
        .eventId(newEventId)
        .feedback(feedback)
        .reference(reference)
        .amends(eventId)
        .build();
  }

  private static void checkTraceId(String id) {
    if (!id.matches("[0-9a-f]{32}") || id.chars().allMatch(c -> c == '0')) {
      throw new InvalidEventException(
          "trace_id",
          "must be 32 lower-case hex digits, not all zero, but was " + Checks.quote(id));
    }
  }

  /**
   * Whether the turn ran to its end. One cut short (a limit, a model error, tools that could not be
   * listed, its session ending) is still recorded, with what it did and used so far, but its last
   * assistant message is no final answer: the pipeline makes no {@code sft} row of it.
   */
  public boolean isCompleted() {
    return outcome == TurnOutcome.COMPLETED;
  }

  /** Which assistant message made which of {@link #toolCalls()}. */
  public ToolCallLinks toolCallLinks() {
    return ToolCallLinks.of(messages, toolCalls);
  }

  /** A turn marked as an evaluation example goes only to the {@code eval} dataset. */
  public boolean isEvalExample() {
    return reference.map(Reference::eval).orElse(false);
  }

  /** A builder with a random {@code event_id}, {@code created_at} now and no messages. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * "The user asked to run {@code command} in the sandbox; it printed {@code output} with exit code
   * {@code exitCode}": a user message, an {@code execute_tool} call of {@value #TOOL_SANDBOX_EXEC}
   * and the tool's output as a {@code tool} message.
   */
  public static Interaction sandboxCommand(
      String tenant,
      String sessionId,
      int turn,
      String agentName,
      String agentVersion,
      String command,
      String output,
      int exitCode,
      Duration duration) {
    String callId = "call-" + UUID.randomUUID();
    return builder()
        .tenant(tenant)
        .sessionId(sessionId)
        .turn(turn)
        .agent(agentName, agentVersion)
        .operationName(OPERATION_EXECUTE_TOOL)
        .message(Message.user(command))
        .toolCall(
            new ToolCall(
                callId,
                TOOL_SANDBOX_EXEC,
                InteractionCodec.commandArguments(command),
                output,
                exitCode,
                exitCode == 0 ? ToolCallStatus.OK : ToolCallStatus.ERROR,
                duration.toMillis()))
        .latencyMs(duration.toMillis())
        .build();
  }

  /**
   * Returns a copy whose free text went through {@code rewrite}: message contents, tool outputs,
   * the rejected alternative's contents, the feedback comment and the reference's answer, verifier
   * and rubric (not tool arguments, which are JSON).
   */
  public Interaction withRewrittenText(UnaryOperator<String> rewrite) {
    return withRewrittenText((field, text) -> rewrite.apply(text));
  }

  /** Rewrites one text; {@code field} is its path, as in {@link PiiFinding#field()}. */
  @FunctionalInterface
  public interface TextRewrite {
    String apply(String field, String text);
  }

  /** As {@link #withRewrittenText(UnaryOperator)}, telling {@code rewrite} each text's field. */
  public Interaction withRewrittenText(TextRewrite rewrite) {
    List<Message> newMessages = new ArrayList<>(messages.size());
    for (int i = 0; i < messages.size(); i++) {
      Message m = messages.get(i);
      newMessages.add(m.withContent(rewrite.apply("messages[" + i + "].content", m.content())));
    }
    List<ToolCall> newCalls = new ArrayList<>(toolCalls.size());
    for (int i = 0; i < toolCalls.size(); i++) {
      ToolCall c = toolCalls.get(i);
      newCalls.add(
          c.output() == null
              ? c
              : c.withOutput(rewrite.apply("tool_calls[" + i + "].output", c.output())));
    }
    Optional<Feedback> newFeedback =
        feedback.map(
            f -> {
              List<Message> rejected = new ArrayList<>(f.rejected().size());
              for (int i = 0; i < f.rejected().size(); i++) {
                Message m = f.rejected().get(i);
                rejected.add(
                    m.withContent(
                        rewrite.apply("feedback.rejected[" + i + "].content", m.content())));
              }
              Feedback rewritten = f.withRejected(rejected);
              return f.comment().isEmpty()
                  ? rewritten
                  : rewritten.withComment(rewrite.apply("feedback.comment", f.comment().get()));
            });
    // The rubric and verifier are free text a session's user may send in a feedback frame, and
    // reach the eval and rft datasets as columns: rewritten like the answer.
    Optional<Reference> newReference =
        reference.map(
            r ->
                new Reference(
                    rewrite.apply("reference.answer", r.answer()),
                    r.verifier().map(v -> rewrite.apply("reference.verifier", v)),
                    r.rubric().map(v -> rewrite.apply("reference.rubric", v)),
                    r.eval()));
    Builder copy = copy();
    copy.messages = newMessages;
    copy.toolCalls = newCalls;
    copy.feedback = newFeedback.orElse(null);
    copy.reference = newReference.orElse(null);
    return copy.build();
  }

  /** Returns a copy with other tool calls (the scrubbers rewrite arguments). */
  public Interaction withToolCalls(List<ToolCall> newToolCalls) {
    Builder copy = copy();
    copy.toolCalls = newToolCalls;
    return copy.build();
  }

  /**
   * Returns a copy marked {@code truncated}: whoever cut its texts to fit in a Kafka record (with
   * {@link #withRewrittenText} and {@link #withToolCalls}) says so.
   */
  public Interaction markedTruncated() {
    Builder copy = copy();
    copy.truncated = true;
    return copy.build();
  }

  /** Returns a copy recording what the scrubber found, replacing any earlier findings. */
  public Interaction withPiiSpans(List<PiiFinding> spans) {
    Builder copy = copy();
    copy.piiSpans = spans;
    return copy.build();
  }

  /** A builder holding every field of this event, for the copies above. */
  private Builder copy() {
    Builder copy = new Builder();
    copy.schemaVersion = schemaVersion;
    copy.eventId = eventId;
    copy.sessionId = sessionId;
    copy.turn = turn;
    copy.tenant = tenant;
    copy.agentName = agentName;
    copy.agentVersion = agentVersion;
    copy.operationName = operationName;
    copy.createdAt = createdAt;
    copy.messages = messages;
    copy.toolCalls = toolCalls;
    copy.model = model.orElse(null);
    copy.usage = usage.orElse(null);
    copy.latencyMs = latencyMs;
    copy.traceId = traceId.orElse(null);
    copy.feedback = feedback.orElse(null);
    copy.reference = reference.orElse(null);
    copy.amends = amends.orElse(null);
    copy.piiSpans = piiSpans;
    copy.outcome = outcome;
    copy.truncated = truncated;
    return copy;
  }

  /** Mutable builder; {@link #build()} validates. Not thread-safe. */
  public static final class Builder {
    private int schemaVersion = SCHEMA_VERSION;
    private UUID eventId = UUID.randomUUID();
    private String sessionId;
    private int turn;
    private String tenant;
    private String agentName;
    private String agentVersion;
    private String operationName = OPERATION_CHAT;
    private Instant createdAt = Instant.now();
    // A copy of an event holds the event's own (immutable) lists: nothing is added to them.
    private List<Message> messages = new ArrayList<>();
    private List<ToolCall> toolCalls = new ArrayList<>();
    private String model;
    private Usage usage;
    private long latencyMs;
    private String traceId;
    private Feedback feedback;
    private Reference reference;
    private UUID amends;
    private TurnOutcome outcome = TurnOutcome.COMPLETED;
    private List<PiiFinding> piiSpans = List.of();
    private boolean truncated;

    private Builder() {}

    /** How the turn ended; {@link TurnOutcome#COMPLETED} unless set. */
    public Builder outcome(TurnOutcome outcome) {
      this.outcome = outcome;
      return this;
    }

    /** Marks the event as an amendment of the event {@code eventId} (see {@link #isAmendment}). */
    public Builder amends(UUID eventId) {
      this.amends = eventId;
      return this;
    }

    public Builder traceId(String traceId) {
      this.traceId = traceId;
      return this;
    }

    public Builder feedback(Feedback feedback) {
      this.feedback = feedback;
      return this;
    }

    public Builder reference(Reference reference) {
      this.reference = reference;
      return this;
    }

    public Builder eventId(UUID eventId) {
      this.eventId = eventId;
      return this;
    }

    public Builder sessionId(String sessionId) {
      this.sessionId = sessionId;
      return this;
    }

    public Builder turn(int turn) {
      this.turn = turn;
      return this;
    }

    public Builder tenant(String tenant) {
      this.tenant = tenant;
      return this;
    }

    public Builder agent(String name, String version) {
      this.agentName = name;
      this.agentVersion = version;
      return this;
    }

    public Builder operationName(String operationName) {
      this.operationName = operationName;
      return this;
    }

    public Builder createdAt(Instant createdAt) {
      this.createdAt = createdAt;
      return this;
    }

    public Builder message(Message message) {
      this.messages.add(message);
      return this;
    }

    public Builder message(Role role, String content) {
      return message(new Message(role, content));
    }

    public Builder toolCall(ToolCall toolCall) {
      this.toolCalls.add(toolCall);
      return this;
    }

    public Builder model(String model) {
      this.model = model;
      return this;
    }

    public Builder usage(long inputTokens, long outputTokens) {
      this.usage = new Usage(inputTokens, outputTokens);
      return this;
    }

    public Builder latencyMs(long latencyMs) {
      this.latencyMs = latencyMs;
      return this;
    }

    /**
     * @throws InvalidEventException naming the first missing or invalid field
     */
    public Interaction build() {
      return new Interaction(
          schemaVersion,
          eventId,
          sessionId,
          turn,
          tenant,
          agentName,
          agentVersion,
          operationName,
          createdAt,
          messages,
          toolCalls,
          Optional.ofNullable(model),
          Optional.ofNullable(usage),
          latencyMs,
          Optional.ofNullable(traceId),
          Optional.ofNullable(feedback),
          Optional.ofNullable(reference),
          Optional.ofNullable(amends),
          piiSpans,
          outcome,
          truncated);
    }
  }
}
