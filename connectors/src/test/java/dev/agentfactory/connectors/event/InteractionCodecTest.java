package dev.agentfactory.connectors.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class InteractionCodecTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final InteractionCodec codec = new InteractionCodec();

  private static Interaction chat() {
    return Interaction.builder()
        .eventId(UUID.fromString("7d2a3c4e-0000-4000-8000-000000000001"))
        .sessionId("sess-1")
        .turn(2)
        .tenant("acme")
        .agent("helper", "1.2.0")
        .operationName(Interaction.OPERATION_CHAT)
        .createdAt(Instant.parse("2026-01-02T03:04:05.678Z"))
        .message(Message.system("be brief"))
        .message(Message.user("hi"))
        .message(Message.assistant("hello"))
        .model("gpt-test")
        .usage(12, 3)
        .latencyMs(250)
        .build();
  }

  @Test
  void eventSurvivesARoundTrip() {
    Interaction event = chat();
    assertThat(codec.parse(codec.toJson(event))).isEqualTo(event);
  }

  @Test
  void sandboxCommandSurvivesARoundTrip() {
    Interaction event =
        Interaction.sandboxCommand(
            "acme", "sess-2", 0, "shell", "0.1.0", "echo hi", "hi\n", 0, Duration.ofMillis(7));
    Interaction back = codec.parse(codec.toJson(event));
    assertThat(back).isEqualTo(event);
    assertThat(back.operationName()).isEqualTo("execute_tool");
    assertThat(back.toolCalls())
        .singleElement()
        .satisfies(
            call -> {
              assertThat(call.name()).isEqualTo("sandbox.exec");
              assertThat(call.arguments()).isEqualTo("{\"command\":\"echo hi\"}");
              assertThat(call.exitCode()).isZero();
              assertThat(call.status()).isEqualTo(ToolCallStatus.OK);
            });
  }

  @Test
  void jsonUsesTheOpenTelemetryGenAiNames() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    assertThat(json.get("schema_version").intValue()).isEqualTo(1);
    assertThat(json.get("gen_ai.conversation.id").textValue()).isEqualTo("sess-1");
    assertThat(json.get("gen_ai.agent.name").textValue()).isEqualTo("helper");
    assertThat(json.get("gen_ai.operation.name").textValue()).isEqualTo("chat");
    assertThat(json.get("gen_ai.request.model").textValue()).isEqualTo("gpt-test");
    assertThat(json.get("gen_ai.usage.input_tokens").intValue()).isEqualTo(12);
    assertThat(json.get("created_at").textValue()).isEqualTo("2026-01-02T03:04:05.678Z");
  }

  @Test
  void anAmendmentNamesTheEventItAmendsAndSurvivesARoundTrip() throws Exception {
    Interaction turn = chat();
    Interaction amendment =
        turn.amendedWith(
            java.util.UUID.randomUUID(), Feedback.rated(Rating.UP).withComment("spot on"), null);

    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(amendment));
    assertThat(json.get("amends_event_id").textValue()).isEqualTo(turn.eventId().toString());
    assertThat(json.at("/feedback/comment").textValue()).isEqualTo("spot on");
    assertThat(codec.parse(codec.toJson(amendment))).isEqualTo(amendment);
    assertThat(JSON.readTree(codec.toJson(turn)).has("amends_event_id")).isFalse();

    json.put("amends_event_id", "not-a-uuid");
    assertThatThrownBy(() -> codec.parse(JSON.writeValueAsBytes(json)))
        .isInstanceOf(InvalidEventException.class)
        .hasMessageStartingWith("amends_event_id:");
    json.put("amends_event_id", turn.eventId().toString());
    json.remove("feedback");
    assertThatThrownBy(() -> codec.parse(JSON.writeValueAsBytes(json)))
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("feedback or a reference");
  }

  @Test
  void unknownFieldsAreIgnored() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    json.put("something_new", 42);
    assertThat(codec.parse(JSON.writeValueAsBytes(json))).isEqualTo(chat());
  }

  @Test
  void malformedJsonIsRejectedAtTheRoot() {
    assertThatThrownBy(() -> codec.parse("{not json".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(InvalidEventException.class)
        .extracting(e -> ((InvalidEventException) e).field())
        .isEqualTo("$");
  }

  @Test
  void missingSessionIdNamesTheField() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    json.remove("gen_ai.conversation.id");
    assertRejected(json, "gen_ai.conversation.id", "gen_ai.conversation.id: is required");
  }

  @Test
  void unsupportedSchemaVersionNamesTheField() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    json.put("schema_version", 2);
    assertRejected(json, "schema_version", "unsupported version 2");
  }

  @Test
  void badEventIdNamesTheField() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    json.put("event_id", "nope");
    assertRejected(json, "event_id", "not a UUID");
  }

  @Test
  void aHugeOffendingValueIsQuotedOnlyInPartWithItsLength() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    json.put("event_id", "x".repeat(600_000));
    assertThatThrownBy(() -> codec.parse(JSON.writeValueAsBytes(json)))
        .isInstanceOf(InvalidEventException.class)
        .hasMessage("event_id: not a UUID: '" + "x".repeat(100) + "…' (600000 chars)");
  }

  @Test
  void aHugeUnknownRoleIsQuotedOnlyInPart() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    ((ObjectNode) json.withArray("messages").get(1)).put("role", "r".repeat(5_000));
    assertThatThrownBy(() -> codec.parse(JSON.writeValueAsBytes(json)))
        .isInstanceOf(InvalidEventException.class)
        .hasMessageEndingWith("…' (5000 chars)")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
  }

  @Test
  void badTimestampNamesTheField() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    json.put("created_at", "yesterday");
    assertRejected(json, "created_at", "not an ISO-8601 instant");
  }

  @Test
  void aTimestampTooFarInTheFutureForEpochMillisIsRejected() throws Exception {
    // Instant.parse accepts it; toEpochMilli() would overflow in the pipeline's sinks
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    json.put("created_at", "+300000000-01-01T00:00:00Z");
    assertRejected(json, "created_at", "must be between 1970-01-01T00:00:00Z and");
  }

  @Test
  void timestampsBeyondYear9999OrBeforeTheEpochAreRejected() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    json.put("created_at", "+10000-01-01T00:00:00Z");
    assertRejected(json, "created_at", "9999-12-31T23:59:59.999Z but was +10000-01-01T00:00:00Z");
    json.put("created_at", "1969-12-31T23:59:59.999Z");
    assertRejected(json, "created_at", "but was 1969-12-31T23:59:59.999Z");
    json.put("created_at", "-1000000000-01-01T00:00:00Z");
    assertRejected(json, "created_at", "must be between");
  }

  @Test
  void theEdgesOfTheTimestampRangeAreAccepted() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    json.put("created_at", "1970-01-01T00:00:00Z");
    assertThat(codec.parse(JSON.writeValueAsBytes(json)).createdAt()).isEqualTo(Instant.EPOCH);
    json.put("created_at", "9999-12-31T23:59:59.999Z");
    assertThat(codec.parse(JSON.writeValueAsBytes(json)).createdAt().toEpochMilli())
        .isEqualTo(253402300799999L);
  }

  @Test
  void theBuilderCannotMakeAnEventWithAnUnstorableTimestamp() {
    assertThatThrownBy(
            () ->
                Interaction.builder()
                    .tenant("t")
                    .sessionId("s")
                    .agent("a", "1")
                    .createdAt(Instant.MAX)
                    .build())
        .isInstanceOf(InvalidEventException.class)
        .hasMessageStartingWith("created_at: must be between");
  }

  private static Interaction toolTurn() {
    return Interaction.builder()
        .sessionId("s")
        .tenant("t")
        .agent("math", "v1")
        .message(Message.user("what is 12*(3+4)?"))
        .message(Message.assistant("", List.of("c1")))
        .message(Message.assistant("84"))
        .toolCall(
            new ToolCall(
                "c1", "sandbox_exec", "{\"command\":\"echo 84\"}", "84\n", 0, ToolCallStatus.OK, 3))
        .build();
  }

  @Test
  void theCallsAnAssistantMessageMadeSurviveARoundTrip() throws Exception {
    Interaction event = toolTurn();
    JsonNode json = JSON.readTree(codec.toJson(event));
    assertThat(json.at("/messages/1/tool_call_ids").toString()).isEqualTo("[\"c1\"]");
    assertThat(json.at("/messages/2").has("tool_call_ids")).isFalse();
    assertThat(codec.parse(codec.toJson(event))).isEqualTo(event);
  }

  /** What Flink's POJO serializer hands the constructor for a message checkpointed before ids. */
  @Test
  void aMessageBuiltWithoutToolCallIdsNamesNoCalls() {
    assertThat(new Message(Role.ASSISTANT, "84", null)).isEqualTo(Message.assistant("84"));
  }

  @Test
  void aToolCallIdThatNamesNoCallIsRejected() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(toolTurn()));
    ((ObjectNode) json.withArray("messages").get(1)).putArray("tool_call_ids").add("c1").add("c9");
    assertRejected(json, "messages[1].tool_call_ids[1]", "names no tool call");
  }

  @Test
  void onlyAnAssistantMessageNamesToolCalls() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(toolTurn()));
    ((ObjectNode) json.withArray("messages").get(0)).putArray("tool_call_ids").add("c1");
    assertRejected(json, "messages[0].tool_call_ids", "only an assistant message");
  }

  @Test
  void unknownRoleNamesTheMessageIndex() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    ((ObjectNode) json.withArray("messages").get(1)).put("role", "robot");
    assertRejected(json, "messages[1].role", "must be one of");
  }

  @Test
  void toolCallWithInvalidArgumentsNamesTheField() throws Exception {
    ObjectNode json =
        (ObjectNode)
            JSON.readTree(
                codec.toJson(
                    Interaction.sandboxCommand(
                        "t", "s", 0, "a", "1", "ls", "", 1, Duration.ofMillis(1))));
    ArrayNode calls = json.withArray("tool_calls");
    ((ObjectNode) calls.get(0)).put("arguments", "{broken");
    assertRejected(json, "tool_calls[0].arguments", "not valid JSON text");
  }

  @Test
  void emptyToolArgumentsAreRejected() throws Exception {
    ObjectNode json = sandboxCommandJson();
    ((ObjectNode) json.withArray("tool_calls").get(0)).put("arguments", "");
    assertRejected(json, "tool_calls[0].arguments", "not valid JSON text: empty");
    ((ObjectNode) json.withArray("tool_calls").get(0)).put("arguments", "  \n ");
    assertRejected(json, "tool_calls[0].arguments", "not valid JSON text: empty");
  }

  @Test
  void toolArgumentsWithASecondJsonValueAreRejected() throws Exception {
    // the scrubber walks one value: the e-mail in the second would reach the datasets
    ObjectNode json = sandboxCommandJson();
    ((ObjectNode) json.withArray("tool_calls").get(0))
        .put("arguments", "{\"a\":1} {\"email\":\"x@y.z\"}");
    assertRejected(json, "tool_calls[0].arguments", "more than one JSON value");
    ((ObjectNode) json.withArray("tool_calls").get(0)).put("arguments", "1 2");
    assertRejected(json, "tool_calls[0].arguments", "more than one JSON value");
    ((ObjectNode) json.withArray("tool_calls").get(0)).put("arguments", "{\"a\":1} trailing");
    assertRejected(json, "tool_calls[0].arguments", "not valid JSON text");
  }

  @Test
  void toolArgumentsThatAreOneJsonValueAreAccepted() throws Exception {
    ObjectNode json = sandboxCommandJson();
    for (String arguments :
        List.of(
            "{}",
            " {\"command\":\"ls\"}\n",
            "[1,2]",
            "\"text\"",
            "42",
            "{\"_raw\":\"{\\\"a\\\":1} {\\\"b\\\":2}\"}")) {
      ((ObjectNode) json.withArray("tool_calls").get(0)).put("arguments", arguments);
      assertThat(codec.parse(JSON.writeValueAsBytes(json)).toolCalls().get(0).arguments())
          .isEqualTo(arguments);
    }
  }

  @Test
  void aFractionalExitCodeIsRejectedNotTruncated() throws Exception {
    ObjectNode json = sandboxCommandJson();
    ((ObjectNode) json.withArray("tool_calls").get(0)).put("exit_code", 1.5);
    assertRejected(json, "tool_calls[0].exit_code", "must be an integer");
    ((ObjectNode) json.withArray("tool_calls").get(0)).put("exit_code", 1.0);
    assertRejected(json, "tool_calls[0].exit_code", "must be an integer");
    ((ObjectNode) json.withArray("tool_calls").get(0)).put("exit_code", 4_294_967_297L);
    assertRejected(json, "tool_calls[0].exit_code", "out of range for a 32-bit integer");
  }

  @Test
  void fractionalOrOverflowingCountsAndDurationsAreRejected() throws Exception {
    ObjectNode json = sandboxCommandJson();
    json.put("latency_ms", 12.5);
    assertRejected(json, "latency_ms", "must be an integer");
    json.put("latency_ms", new java.math.BigInteger("9223372036854775808"));
    assertRejected(json, "latency_ms", "out of range for a 64-bit integer: '9223372036854775808'");
    json.put("latency_ms", 12);
    json.put("gen_ai.usage.input_tokens", 1.5).put("gen_ai.usage.output_tokens", 1);
    assertRejected(json, "gen_ai.usage.input_tokens", "must be an integer");
    json.put("gen_ai.usage.input_tokens", 1).put("gen_ai.usage.output_tokens", -1);
    assertRejected(json, "gen_ai.usage.output_tokens", "must be >= 0");
    json.put("gen_ai.usage.output_tokens", 1);
    ((ObjectNode) json.withArray("tool_calls").get(0)).put("duration_ms", 0.5);
    assertRejected(json, "tool_calls[0].duration_ms", "must be an integer");
    ((ObjectNode) json.withArray("tool_calls").get(0)).put("duration_ms", 1);
    json.put("turn", 2_147_483_648L);
    assertRejected(json, "turn", "out of range for a 32-bit integer");
  }

  @Test
  void negativeToolDurationNamesTheField() throws Exception {
    ObjectNode json =
        (ObjectNode)
            JSON.readTree(
                codec.toJson(
                    Interaction.sandboxCommand(
                        "t", "s", 0, "a", "1", "ls", "", 1, Duration.ofMillis(1))));
    ((ObjectNode) json.withArray("tool_calls").get(0)).put("duration_ms", -5);
    assertRejected(json, "tool_calls[0].duration_ms", "must be >= 0");
  }

  private ObjectNode sandboxCommandJson() throws Exception {
    return (ObjectNode)
        JSON.readTree(
            codec.toJson(
                Interaction.sandboxCommand(
                    "t", "s", 0, "a", "1", "ls", "", 1, Duration.ofMillis(1))));
  }

  @Test
  void missingToolCallIdNamesTheFieldOnce() throws Exception {
    ObjectNode json = sandboxCommandJson();
    ((ObjectNode) json.withArray("tool_calls").get(0)).remove("gen_ai.tool.call.id");
    assertRejected(json, "tool_calls[0].gen_ai.tool.call.id", "is required");
  }

  @Test
  void mistypedToolOutputNamesTheFieldOnce() throws Exception {
    ObjectNode json = sandboxCommandJson();
    ((ObjectNode) json.withArray("tool_calls").get(0)).put("output", 42);
    assertRejected(json, "tool_calls[0].output", "must be a string");
  }

  @Test
  void mistypedToolDurationNamesTheFieldOnce() throws Exception {
    ObjectNode json = sandboxCommandJson();
    ((ObjectNode) json.withArray("tool_calls").get(0)).put("duration_ms", "12");
    assertRejected(json, "tool_calls[0].duration_ms", "must be an integer");
  }

  @Test
  void explicitNullLatencyAndDurationMeanZero() throws Exception {
    ObjectNode json = sandboxCommandJson();
    json.putNull("latency_ms");
    ((ObjectNode) json.withArray("tool_calls").get(0)).putNull("duration_ms");
    Interaction event = codec.parse(JSON.writeValueAsBytes(json));
    assertThat(event.latencyMs()).isZero();
    assertThat(event.toolCalls().get(0).durationMs()).isZero();
  }

  @Test
  void aCallThatDidNotRunHasNoExitCodeAndSurvivesARoundTrip() throws Exception {
    Interaction event =
        Interaction.builder()
            .tenant("acme")
            .sessionId("s")
            .agent("runner", "1")
            .toolCall(
                new ToolCall(
                    "call_1",
                    "sandbox_exec",
                    "{}",
                    "argument 'command' is required",
                    null,
                    ToolCallStatus.NOT_RUN,
                    0))
            .build();

    byte[] json = codec.toJson(event);

    ObjectNode call = (ObjectNode) JSON.readTree(json).get("tool_calls").get(0);
    assertThat(call.get("status").textValue()).isEqualTo("not_run");
    assertThat(call.get("exit_code").isNull()).isTrue();
    assertThat(codec.parse(json)).isEqualTo(event);
  }

  @Test
  void aCallThatDidNotRunCannotHaveAnExitCode() throws Exception {
    ObjectNode json = sandboxCommandJson();
    ((ObjectNode) json.withArray("tool_calls").get(0)).put("status", "not_run");
    assertRejected(json, "tool_calls[0].exit_code", "must be null");
  }

  @Test
  void aToolCallWithoutExitCodeFieldStillParses() throws Exception {
    // events written before exit_code was always present, or by other writers, leave it out
    ObjectNode json = sandboxCommandJson();
    ((ObjectNode) json.withArray("tool_calls").get(0)).remove("exit_code");
    Interaction event = codec.parse(JSON.writeValueAsBytes(json));
    assertThat(event.toolCalls().get(0).exitCode()).isNull();
    assertThat(event.toolCalls().get(0).status()).isEqualTo(ToolCallStatus.ERROR);
  }

  @Test
  void builderRejectsAMissingTenant() {
    assertThatThrownBy(() -> Interaction.builder().sessionId("s").agent("a", "1").build())
        .isInstanceOf(InvalidEventException.class)
        .hasMessage("tenant: is required");
  }

  private static Interaction withSignals() {
    return Interaction.builder()
        .eventId(UUID.fromString("7d2a3c4e-0000-4000-8000-000000000002"))
        .sessionId("sess-1")
        .tenant("acme")
        .agent("helper", "1.2.0")
        .createdAt(Instant.parse("2026-01-02T03:04:05.678Z"))
        .message(Message.user("2+2?"))
        .message(Message.assistant("4"))
        .traceId("4bf92f3577b34da6a3ce929d0e0e4736")
        .feedback(new Feedback(Optional.of(Rating.UP), List.of(Message.assistant("5, I think"))))
        .reference(new Reference("4", Optional.of("numeric"), Optional.of("exact"), true))
        .build()
        .withPiiSpans(
            List.of(new PiiFinding("EMAIL_ADDRESS", 3, 20, "MASK", "messages[0].content", 0)));
  }

  @Test
  void traceFeedbackReferenceAndPiiSpansSurviveARoundTrip() throws Exception {
    Interaction event = withSignals();
    assertThat(codec.parse(codec.toJson(event))).isEqualTo(event);
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(event));
    assertThat(json.get("trace_id").textValue()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(json.at("/feedback/rating").textValue()).isEqualTo("up");
    assertThat(json.at("/feedback/rejected/0/content").textValue()).isEqualTo("5, I think");
    assertThat(json.at("/reference/answer").textValue()).isEqualTo("4");
    assertThat(json.at("/reference/eval").booleanValue()).isTrue();
    assertThat(json.at("/pii_spans/0/entity_type").textValue()).isEqualTo("EMAIL_ADDRESS");
    assertThat(json.at("/pii_spans/0/message_index").intValue()).isZero();
  }

  @Test
  void eventsWithoutTheOptionalSignalsStayAsTheyWere() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    assertThat(json.has("trace_id")).isFalse();
    assertThat(json.has("feedback")).isFalse();
    assertThat(json.has("reference")).isFalse();
    assertThat(json.has("pii_spans")).isFalse();
    Interaction back = codec.parse(JSON.writeValueAsBytes(json));
    assertThat(back.feedback()).isEmpty();
    assertThat(back.reference()).isEmpty();
    assertThat(back.piiSpans()).isEmpty();
    assertThat(back.isEvalExample()).isFalse();
  }

  @Test
  void aTurnCutShortCarriesItsOutcomeThroughARoundTripAndItsAmendments() throws Exception {
    Interaction cut =
        Interaction.builder()
            .sessionId("sess-3")
            .tenant("acme")
            .agent("helper", "1.2.0")
            .message(Message.user("count to a million"))
            .usage(40, 12)
            .outcome(TurnOutcome.LIMIT_EXCEEDED)
            .build();
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(cut));
    assertThat(json.get("outcome").textValue()).isEqualTo("limit_exceeded");
    Interaction back = codec.parse(codec.toJson(cut));
    assertThat(back).isEqualTo(cut);
    assertThat(back.isCompleted()).isFalse();

    Interaction amendment = cut.amendedWith(UUID.randomUUID(), Feedback.rated(Rating.DOWN), null);
    assertThat(amendment.outcome()).isEqualTo(TurnOutcome.LIMIT_EXCEEDED);
    assertThat(amendment.withRewrittenText((String text) -> text.toUpperCase()).outcome())
        .isEqualTo(TurnOutcome.LIMIT_EXCEEDED);
    assertThat(amendment.withPiiSpans(List.of()).withToolCalls(List.of()).outcome())
        .isEqualTo(TurnOutcome.LIMIT_EXCEEDED);
  }

  @Test
  void aCompletedTurnWritesNoOutcomeAndAnEventWithoutOneIsCompleted() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    assertThat(json.has("outcome")).isFalse();
    assertThat(codec.parse(JSON.writeValueAsBytes(json)).outcome())
        .isEqualTo(TurnOutcome.COMPLETED);
    json.put("outcome", "completed");
    assertThat(codec.parse(JSON.writeValueAsBytes(json))).isEqualTo(chat());
  }

  @Test
  void aTruncatedEventAndItsCutOutputsCarryTheirFlagsThroughARoundTripAndItsAmendments()
      throws Exception {
    ToolCall whole =
        new ToolCall("c1", "sandbox.exec", "{\"command\":\"ls\"}", "a\n", 0, ToolCallStatus.OK, 3);
    Interaction event =
        Interaction.builder()
            .sessionId("s")
            .tenant("t")
            .agent("a", "1")
            .message(Message.user("hi"))
            .toolCall(whole)
            .toolCall(whole.withOutputTruncatedTo("b\n[truncated]"))
            .build()
            .markedTruncated();

    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(event));
    Interaction back = codec.parse(JSON.writeValueAsBytes(json));

    assertThat(json.get("truncated").booleanValue()).isTrue();
    assertThat(json.get("tool_calls").get(0).has("output_truncated")).isFalse();
    assertThat(json.get("tool_calls").get(1).get("output_truncated").booleanValue()).isTrue();
    assertThat(back).isEqualTo(event);
    assertThat(back.toolCalls()).extracting(ToolCall::outputTruncated).containsExactly(false, true);
    assertThat(
            back.amendedWith(UUID.randomUUID(), null, Reference.groundTruth("x", "exact_match"))
                .truncated())
        .isTrue();
    assertThat(back.withRewrittenText(String::strip).toolCalls().get(1).outputTruncated()).isTrue();
    assertThat(back.toolCalls().get(1).withArguments("{}").outputTruncated()).isTrue();
  }

  @Test
  void anEventCutNowhereWritesNoFlagsAndANonBooleanFlagNamesTheField() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    assertThat(json.has("truncated")).isFalse();
    assertThat(codec.parse(JSON.writeValueAsBytes(json)).truncated()).isFalse();

    json.put("truncated", "yes");
    assertThatThrownBy(() -> codec.parse(JSON.writeValueAsBytes(json)))
        .isInstanceOf(InvalidEventException.class)
        .extracting(e -> ((InvalidEventException) e).field())
        .isEqualTo("truncated");
    json.remove("truncated");
    ((ObjectNode)
            json.putArray("tool_calls")
                .addObject()
                .put("gen_ai.tool.call.id", "c1")
                .put("gen_ai.tool.name", "x")
                .put("arguments", "{}")
                .put("status", "ok"))
        .put("output_truncated", 1);
    assertThatThrownBy(() -> codec.parse(JSON.writeValueAsBytes(json)))
        .isInstanceOf(InvalidEventException.class)
        .extracting(e -> ((InvalidEventException) e).field())
        .isEqualTo("tool_calls[0].output_truncated");
  }

  /** What Flink's POJO serializer hands the constructor for a field its checkpoint lacks. */
  @Test
  void anEventBuiltWithoutAnOutcomeIsCompleted() {
    Interaction e = chat();
    Interaction restored =
        new Interaction(
            e.schemaVersion(),
            e.eventId(),
            e.sessionId(),
            e.turn(),
            e.tenant(),
            e.agentName(),
            e.agentVersion(),
            e.operationName(),
            e.createdAt(),
            e.messages(),
            e.toolCalls(),
            e.model(),
            e.usage(),
            e.latencyMs(),
            e.traceId(),
            e.feedback(),
            e.reference(),
            e.amends(),
            e.piiSpans(),
            null,
            false);
    assertThat(restored).isEqualTo(e);
  }

  @Test
  void anUnknownOutcomeNamesTheField() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    json.put("outcome", "exploded");
    assertRejected(json, "outcome", "must be one of completed, limit_exceeded");
  }

  @Test
  void referenceEvalDefaultsToFalse() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(chat()));
    json.putObject("reference").put("answer", "42");
    Interaction back = codec.parse(JSON.writeValueAsBytes(json));
    assertThat(back.reference())
        .contains(new Reference("42", Optional.empty(), Optional.empty(), false));
  }

  @Test
  void unknownRatingNamesTheField() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(withSignals()));
    ((ObjectNode) json.get("feedback")).put("rating", "meh");
    assertRejected(json, "feedback.rating", "must be one of up, down");
  }

  @Test
  void aRejectedUserMessageNamesTheField() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(withSignals()));
    ((ObjectNode) json.at("/feedback/rejected/0")).put("role", "user");
    assertRejected(json, "feedback.rejected[0].role", "must be assistant or tool");
  }

  @Test
  void blankReferenceAnswerNamesTheField() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(withSignals()));
    ((ObjectNode) json.get("reference")).put("answer", " ");
    assertRejected(json, "reference.answer", "must not be blank");
  }

  @Test
  void nonBooleanEvalNamesTheField() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(withSignals()));
    ((ObjectNode) json.get("reference")).put("eval", "yes");
    assertRejected(json, "reference.eval", "must be a boolean");
  }

  @Test
  void malformedTraceIdNamesTheField() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(withSignals()));
    json.put("trace_id", "XYZ");
    assertRejected(json, "trace_id", "32 lower-case hex digits");
  }

  @Test
  void piiSpanEndingBeforeItStartsNamesTheField() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(codec.toJson(withSignals()));
    ((ObjectNode) json.at("/pii_spans/0")).put("end", 1);
    assertRejected(json, "pii_spans[0].end", "must be >= start");
  }

  @Test
  void rewritingTextCoversTheRejectedAlternativeAndTheWholeReference() {
    List<String> fields = new java.util.ArrayList<>();
    Interaction rewritten =
        withSignals()
            .withRewrittenText(
                (field, text) -> {
                  fields.add(field);
                  return text.toUpperCase(java.util.Locale.ROOT);
                });
    assertThat(fields)
        .containsExactly(
            "messages[0].content",
            "messages[1].content",
            "feedback.rejected[0].content",
            "reference.answer",
            "reference.verifier",
            "reference.rubric");
    assertThat(rewritten.reference().orElseThrow().rubric()).contains("EXACT");
    assertThat(rewritten.feedback().orElseThrow().rejected().get(0).content())
        .isEqualTo("5, I THINK");
  }

  private void assertRejected(ObjectNode json, String field, String messagePart) throws Exception {
    byte[] bytes = JSON.writeValueAsBytes(json);
    assertThatThrownBy(() -> codec.parse(bytes))
        .isInstanceOf(InvalidEventException.class)
        .hasMessageStartingWith(field + ": ")
        .hasMessageContaining(messagePart)
        .satisfies(e -> assertThat(((InvalidEventException) e).field()).isEqualTo(field));
  }
}
