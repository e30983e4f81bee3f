package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.dataset.SftRow;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.connectors.event.TurnOutcome;
import dev.agentfactory.edge.model.ChatMessage;
import dev.agentfactory.edge.model.FinishReason;
import dev.agentfactory.edge.model.ModelResponse;
import dev.agentfactory.edge.model.TokenUsage;
import dev.agentfactory.edge.tools.ToolResult;
import dev.agentfactory.sandbox.SandboxException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An agent turn's interaction event as the pipeline reads it: every event here goes through {@link
 * InteractionCodec} both ways, the parse the pipeline's entry applies before its dead-letter topic.
 */
class KafkaInteractionRecorderTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final InteractionCodec codec = new InteractionCodec();

  @Test
  void toolsThatAreNotCommandsAreRecordedWithoutAnExitCodeAndOnlyTheirErrorsFail() {
    Interaction event =
        published(
            turn(
                TokenUsage.NONE.plus(new TokenUsage(10, 5, 15)),
                call("c1", "files_read", "{\"path\":\"a.txt\"}", ToolRun.of(ok("hi"))),
                call(
                    "c2",
                    "files_read",
                    "{\"path\":\"missing.txt\"}",
                    ToolRun.of(ToolResult.error("file_not_found", 1))),
                call(
                    "c3",
                    "sandbox_exec",
                    "{\"command\":\"false\"}",
                    new ToolRun("exited", 1, "", "", 3)),
                call(
                    "c4",
                    "sandbox_exec",
                    "{\"command\":\"true\"}",
                    new ToolRun("exited", 0, "", "", 3)),
                call("c5", "mcp_docs_search", "{}", ToolRun.of(ok("found")))));

    List<ToolCall> calls = event.toolCalls();
    assertThat(calls).extracting(ToolCall::exitCode).containsExactly(null, null, 1, 0, null);
    assertThat(calls)
        .extracting(ToolCall::status)
        .containsExactly(
            ToolCallStatus.OK,
            ToolCallStatus.ERROR,
            ToolCallStatus.ERROR,
            ToolCallStatus.OK,
            ToolCallStatus.OK);
    // The labelers' and the live evaluation's definition of a failed call
    assertThat(calls)
        .extracting(KafkaInteractionRecorderTest::failed)
        .containsExactly(false, true, true, false, false);
  }

  @Test
  void commandsWithoutAnExitCodeAreRecordedWithoutOneAndOnlyThoseThatNeverRanAsNotRun() {
    Interaction event =
        published(
            turn(
                TokenUsage.NONE,
                call("c1", "sandbox_exec", "{}", notRun("argument 'command' is required")),
                call(
                    "c2",
                    "sandbox_exec",
                    "{\"command\":\"ls\"}",
                    ToolRun.commandNotLeased(
                        new SandboxException("pool_exhausted", "no sandbox is free", true))),
                call(
                    "c3",
                    "sandbox_exec",
                    "{\"command\":\"ls\"}",
                    ToolRun.commandFailed(
                        new SandboxException("sandbox_lost", "the sandbox was lost", false)))));

    List<ToolCall> calls = event.toolCalls();
    assertThat(calls).extracting(ToolCall::exitCode).containsExactly(null, null, null);
    assertThat(calls)
        .extracting(ToolCall::status)
        .containsExactly(ToolCallStatus.NOT_RUN, ToolCallStatus.NOT_RUN, ToolCallStatus.ERROR);
    assertThat(calls.get(1).output())
        .isEqualTo("no sandbox could be leased: pool_exhausted: no sandbox is free");
    assertThat(calls.get(2).output()).isEqualTo("sandbox_lost: the sandbox was lost");
    // The labelers and the live evaluation count a call that did not run as a failed one
    assertThat(calls).extracting(KafkaInteractionRecorderTest::failed).containsOnly(true);
  }

  @Test
  void aCommandsCallIdIsNamedByItsTurn() {
    ExecRecord record =
        new ExecRecord(
            "acme",
            "s1",
            4,
            List.of("sh", "-c", "ls"),
            "a.txt\n",
            "exited",
            0,
            12,
            Instant.parse("2026-11-28T00:00:00Z"));

    Interaction event = KafkaInteractionRecorder.toEvent(record);

    // not the client's frame id (free text no scrubber reads), which the record no longer has
    assertThat(event.toolCalls()).extracting(ToolCall::id).containsExactly("exec-3");
    assertThat(event.turn()).isEqualTo(3);
  }

  @Test
  void usageTheModelServerDidNotReportIsLeftOutNotRecordedAsZero() {
    Interaction unknown = published(turn(TokenUsage.NONE.plus(TokenUsage.UNKNOWN)));
    assertThat(unknown.usage()).isEmpty();

    Interaction reported = published(turn(TokenUsage.NONE.plus(new TokenUsage(0, 0, 0))));
    assertThat(reported.usage()).isPresent();
    assertThat(reported.usage().get().inputTokens()).isZero();
  }

  @Test
  void argumentsThatAreNotJsonAreWrappedSoTheTurnStillReachesTheDatasets() throws Exception {
    String cutOff = "{\"command\":\"python3 -c 'print(1)";
    String twoObjects = "{\"path\":\"a\"}{\"path\":\"b\"}";
    Interaction event =
        published(
            turn(
                TokenUsage.NONE,
                call("c1", "sandbox_exec", cutOff, notRun("not valid JSON")),
                call("c2", "files_read", twoObjects, ToolRun.of(err())),
                call("c3", "files_read", "{\"path\":\"a.txt\"}", ToolRun.of(ok("x")))));

    List<ToolCall> calls = event.toolCalls();
    assertThat(JSON.readTree(calls.get(0).arguments()).get("_raw").asText()).isEqualTo(cutOff);
    assertThat(JSON.readTree(calls.get(1).arguments()).get("_raw").asText()).isEqualTo(twoObjects);
    assertThat(calls.get(2).arguments()).isEqualTo("{\"path\":\"a.txt\"}");
  }

  @Test
  void aTurnWhoseFirstModelCallFailedIsAnEventWithItsOutcomeAndNoModel() {
    AgentLoop.Turn soFar =
        new AgentLoop.Turn("q1", "hello?", List.of(), List.of(), null, TokenUsage.NONE, 0, 812);

    Interaction event = KafkaInteractionRecorder.toEvent(record(soFar, TurnOutcome.MODEL_ERROR));

    assertThat(event.outcome()).isEqualTo(TurnOutcome.MODEL_ERROR);
    assertThat(event.model()).isEmpty();
    assertThat(event.messages()).containsExactly(Message.user("hello?"));
    assertThat(event.latencyMs()).isEqualTo(812);
    assertThat(codec.parse(codec.toJson(event))).isEqualTo(event);
  }

  @Test
  void aToolCallTheSessionsEndCutOffIsCancelled() {
    ToolRun killed = new ToolRun("cancelled", -1, "started\n", "", 40, true, null);
    dev.agentfactory.edge.model.ToolCall call =
        new dev.agentfactory.edge.model.ToolCall(
            "call_1", "sandbox_exec", "{\"command\":\"sleep 600\"}");
    ModelResponse asked =
        new ModelResponse(
            "openai",
            "fake-model",
            "",
            List.of(call),
            FinishReason.TOOL_CALLS,
            new TokenUsage(10, 5, 15),
            false);
    AgentLoop.Turn soFar =
        new AgentLoop.Turn(
            "q1",
            "run it",
            List.of(),
            List.of(new AgentLoop.ToolCallRecord(call, killed)),
            asked,
            new TokenUsage(10, 5, 15),
            1,
            900);

    Interaction event = KafkaInteractionRecorder.toEvent(record(soFar, TurnOutcome.CANCELLED));

    assertThat(event.outcome()).isEqualTo(TurnOutcome.CANCELLED);
    assertThat(event.model()).contains("fake-model");
    assertThat(event.toolCalls())
        .singleElement()
        .satisfies(c -> assertThat(c.status()).isEqualTo(ToolCallStatus.CANCELLED));
  }

  @Test
  void aTurnCutShortWithUnreportedUsageLeavesItOutAndItsOtherToolsHaveNoExitCode() {
    AgentLoop.Turn soFar =
        new AgentLoop.Turn(
            "q1",
            "read it",
            List.of(),
            List.of(
                call("c1", "files_read", "{\"path\":\"a.txt\"}", ToolRun.of(ok("hi"))),
                call(
                    "c2",
                    "files_read",
                    "{\"path\":\"b.txt\"}",
                    new ToolRun(
                        "cancelled", null, "", "not run: the session ended", 0, true, null))),
            new ModelResponse(
                "openai", "m", "", List.of(), FinishReason.TOOL_CALLS, TokenUsage.UNKNOWN, false),
            TokenUsage.NONE.plus(TokenUsage.UNKNOWN),
            1,
            30);

    Interaction event =
        codec.parse(
            codec.toJson(
                KafkaInteractionRecorder.toEvent(record(soFar, TurnOutcome.LIMIT_EXCEEDED))));

    assertThat(event.outcome()).isEqualTo(TurnOutcome.LIMIT_EXCEEDED);
    assertThat(event.usage()).isEmpty();
    assertThat(event.toolCalls()).extracting(ToolCall::exitCode).containsExactly(null, null);
    assertThat(event.toolCalls())
        .extracting(ToolCall::status)
        .containsExactly(ToolCallStatus.OK, ToolCallStatus.CANCELLED);
  }

  // -- events over Kafka's record size ----------------------------------------------------------

  /** 64 KiB of output with quotes, newlines and multi-byte characters, which JSON makes longer. */
  private static String bigOutput(int i) {
    String line = "line " + i + " \"quoted\" \u00e9 \u2713 \ud83d\ude00\tend\n";
    return line.repeat(64 * 1024 / line.length() + 1).substring(0, 64 * 1024);
  }

  @Test
  void aTurnTooLargeForKafkaHasItsLongestToolOutputsCutEvenlyAndFlagged() {
    AgentLoop.ToolCallRecord[] calls = new AgentLoop.ToolCallRecord[41];
    for (int i = 0; i < 40; i++) {
      calls[i] =
          call(
              "c" + i,
              "sandbox_exec",
              "{\"command\":\"cat big" + i + "\"}",
              new ToolRun("exited", 0, bigOutput(i), "", 3));
    }
    calls[40] =
        call(
            "small",
            "sandbox_exec",
            "{\"command\":\"echo hi\"}",
            new ToolRun("exited", 0, "hi\n", "", 3));
    AgentLoop.Turn turn = turn(TokenUsage.NONE, calls);
    // the overload for an agent turn builds its event whole
    assertThat(
            EventSizeCap.size(
                KafkaInteractionRecorder.toEvent(record(turn, TurnOutcome.COMPLETED))))
        .as("the event whole")
        .isGreaterThan(KafkaInteractionRecorder.MAX_EVENT_BYTES);

    Interaction event = recorded(turn);
    byte[] json = codec.toJson(event);
    Interaction read = codec.parse(json);

    assertThat(json.length).isLessThanOrEqualTo(KafkaInteractionRecorder.MAX_EVENT_BYTES);
    assertThat(json.length)
        .as("cut no more than needed")
        .isGreaterThan(KafkaInteractionRecorder.MAX_EVENT_BYTES - 64 * 1024);
    assertThat(read.truncated()).isTrue();
    List<ToolCall> big = read.toolCalls().subList(0, 40);
    assertThat(big).allMatch(ToolCall::outputTruncated);
    for (int i = 0; i < 40; i++) {
      String output = big.get(i).output();
      assertThat(output).endsWith(EventSizeCap.MARKER);
      String start = output.substring(0, output.length() - EventSizeCap.MARKER.length());
      assertThat(bigOutput(i).startsWith(start)).as("call %d keeps its output's start", i).isTrue();
    }
    assertThat(big)
        .as("cut to the same length, the largest first")
        .extracting(c -> EventSizeCap.jsonLength(c.output()))
        .allMatch(bytes -> Math.abs(bytes - EventSizeCap.jsonLength(big.get(0).output())) < 12);
    ToolCall small = read.toolCalls().get(40);
    assertThat(small.outputTruncated()).isFalse();
    assertThat(small.output()).isEqualTo("hi\n");
    assertThat(read.messages())
        .extracting(Message::content)
        .as("the messages were short enough")
        .containsExactly("do it", "done");
    assertThat(read.toolCalls())
        .extracting(ToolCall::arguments)
        .as("so were the arguments")
        .allMatch(a -> a.startsWith("{\"command\":"));
  }

  @Test
  void anEventThatFitsIsNeitherCutNorMarked() {
    Interaction event =
        recorded(
            turn(
                TokenUsage.NONE,
                call(
                    "c1",
                    "sandbox_exec",
                    "{\"command\":\"cat\"}",
                    new ToolRun("exited", 0, bigOutput(1), "", 3))));

    assertThat(event.truncated()).isFalse();
    assertThat(event.toolCalls().get(0).outputTruncated()).isFalse();
    assertThat(event.toolCalls().get(0).output()).isEqualTo(bigOutput(1));
    assertThat(new String(codec.toJson(event), java.nio.charset.StandardCharsets.UTF_8))
        .as("the event is what it was before the flags existed")
        .doesNotContain("truncated");
  }

  @Test
  void whenCuttingOutputsIsNotEnoughMessagesAndArgumentsAreCutAndArgumentsStayJson()
      throws Exception {
    String hugeQuestion = "why \"this\"?\n".repeat(120_000); // 1.5 MB in JSON
    String hugeArguments =
        JSON.createObjectNode().put("content", "x = \"y\"\n".repeat(60_000)).toString();
    AgentLoop.Turn turn =
        new AgentLoop.Turn(
            "q1",
            hugeQuestion,
            List.of(ChatMessage.Assistant.text("short answer")),
            List.of(call("c1", "files_write", hugeArguments, ToolRun.of(ok("y".repeat(300_000))))),
            new ModelResponse(
                "openai",
                "m",
                "short answer",
                List.of(),
                FinishReason.STOP,
                TokenUsage.NONE,
                false),
            TokenUsage.NONE,
            2,
            12);

    byte[] json = codec.toJson(recorded(turn));
    Interaction read = codec.parse(json);

    assertThat(json.length).isLessThanOrEqualTo(KafkaInteractionRecorder.MAX_EVENT_BYTES);
    assertThat(read.truncated()).isTrue();
    ToolCall call = read.toolCalls().get(0);
    assertThat(call.outputTruncated()).isTrue();
    assertThat(call.output()).isEqualTo(EventSizeCap.MARKER);
    String rawStart = JSON.readTree(call.arguments()).get("_raw").asText();
    assertThat(hugeArguments.startsWith(rawStart)).as("the arguments' start").isTrue();
    assertThat(rawStart.length()).isGreaterThan(1000);
    String question = read.messages().get(0).content();
    assertThat(question).endsWith(EventSizeCap.MARKER).hasSizeGreaterThan(1000);
    String start = question.substring(0, question.length() - EventSizeCap.MARKER.length());
    assertThat(hugeQuestion.startsWith(start)).as("the question's start").isTrue();
    assertThat(read.messages().get(1).content()).isEqualTo("short answer");
  }

  // ---------------------------------------------------------------------------------------------

  /** The event as published, parsed back as the pipeline parses it (which throws if invalid). */
  private Interaction published(AgentLoop.Turn turn) {
    Interaction event =
        KafkaInteractionRecorder.toEvent(
            new AgentTurnRecord(
                "acme",
                "s1",
                1,
                "agent",
                "v1",
                turn,
                Instant.parse("2026-01-02T03:04:05Z"),
                TurnOutcome.COMPLETED));
    byte[] json = codec.toJson(event);
    return codec.parse(json);
  }

  private static AgentLoop.Turn turn(TokenUsage usage, AgentLoop.ToolCallRecord... calls) {
    ModelResponse last =
        new ModelResponse("openai", "m", "done", List.of(), FinishReason.STOP, usage, false);
    return new AgentLoop.Turn(
        "q1",
        "do it",
        List.of(ChatMessage.Assistant.text("done")),
        List.of(calls),
        last,
        usage,
        calls.length + 1,
        12);
  }

  private static AgentLoop.ToolCallRecord call(
      String id, String name, String arguments, ToolRun run) {
    return new AgentLoop.ToolCallRecord(
        new dev.agentfactory.edge.model.ToolCall(id, name, arguments), run);
  }

  private static ToolResult ok(String content) {
    return ToolResult.ok(content, 1);
  }

  private static ToolResult err() {
    return ToolResult.error("arguments are not valid JSON", 0);
  }

  private static ToolRun notRun(String message) {
    return ToolRun.commandNotRun(message);
  }

  @Test
  void eachAssistantMessageNamesTheCallsItMadeSoTheSftRowHasEveryResultBeforeTheAnswer() {
    AgentLoop.ToolCallRecord first =
        call("c1", "sandbox_exec", "{\"command\":\"echo 84\"}", exited("84\n"));
    AgentLoop.ToolCallRecord second =
        call("c2", "sandbox_exec", "{\"command\":\"echo 4\"}", exited("4\n"));
    AgentLoop.Turn turn =
        new AgentLoop.Turn(
            "q1",
            "what is 12*(3+4) and 2+2?",
            List.of(
                new ChatMessage.Assistant("", List.of(first.call(), second.call())),
                new ChatMessage.Tool("c1", "{\"stdout\":\"84\\n\"}"),
                new ChatMessage.Tool("c2", "{\"stdout\":\"4\\n\"}"),
                ChatMessage.Assistant.text("84 and 4")),
            List.of(first, second),
            new ModelResponse(
                "openai", "m", "84 and 4", List.of(), FinishReason.STOP, TokenUsage.NONE, false),
            TokenUsage.NONE,
            2,
            12);

    Interaction event = published(turn);

    assertThat(event.messages())
        .containsExactly(
            Message.user("what is 12*(3+4) and 2+2?"),
            Message.assistant("", List.of("c1", "c2")),
            Message.assistant("84 and 4"));
    assertThat(SftRow.derive(event, "pii-v1").orElseThrow().messages())
        .extracting(m -> m.role() + ":" + m.content() + ":" + m.toolCallId())
        .containsExactly(
            "user:what is 12*(3+4) and 2+2?:null",
            "assistant::null",
            "tool:84\n:c1",
            "tool:4\n:c2",
            "assistant:84 and 4:null");
  }

  private static ToolRun exited(String stdout) {
    return new ToolRun("exited", 0, stdout, "", 3);
  }

  /** As {@code RuleLabeler.failed} and {@code EvalSample} (flink-jobs) read a tool call. */
  private static boolean failed(ToolCall call) {
    return call.status() != ToolCallStatus.OK || (call.exitCode() != null && call.exitCode() != 0);
  }

  /** The event the recorder publishes for a completed {@code turn}: cut to fit if need be. */
  private static Interaction recorded(AgentLoop.Turn turn) {
    SessionRecord record = record(turn, TurnOutcome.COMPLETED);
    return KafkaInteractionRecorder.toEvent(record);
  }

  private static AgentTurnRecord record(AgentLoop.Turn turn, TurnOutcome outcome) {
    return new AgentTurnRecord(
        "acme", "s1", 3, "runner", "1", turn, Instant.parse("2026-01-02T03:04:05Z"), outcome);
  }
}
