package dev.agentfactory.connectors.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.PiiFinding;
import dev.agentfactory.connectors.event.Rating;
import dev.agentfactory.connectors.event.Reference;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.connectors.event.TurnOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class DatasetRowsTest {

  private static final String POLICY = "pii-v1";

  private static Interaction.Builder chat() {
    return Interaction.builder()
        .sessionId("s1")
        .tenant("acme")
        .agent("helper", "1.0.0")
        .model("m-1")
        .message(Message.system("be brief"))
        .message(Message.user("capital of France?"))
        .message(Message.assistant("Paris"));
  }

  /** A turn of the math agent, before its messages. */
  private static Interaction.Builder mathTurn() {
    return Interaction.builder().sessionId("s1").tenant("acme").agent("math", "v1");
  }

  private static Set<DatasetKind> kindsOf(Interaction event) {
    Set<DatasetKind> kinds = EnumSet.noneOf(DatasetKind.class);
    for (DatasetKind kind : DatasetKind.values()) {
      DatasetRows.derive(kind, event, POLICY)
          .ifPresent(
              row -> {
                assertThat(row.kind()).isEqualTo(kind);
                assertEveryToolMessageAnswersAnEarlierCall(row);
                assertThat(row.provenance().exampleId()).isEqualTo(event.eventId().toString());
                kinds.add(kind);
              });
    }
    return kinds;
  }

  @Test
  void feedbackThatArrivesLaterAmendsTheTurnWithoutASecondSftRow() {
    Interaction turn = chat().build();
    Interaction down =
        turn.amendedWith(
            java.util.UUID.randomUUID(),
            Feedback.rated(Rating.DOWN).withComment("it is Paris, not Lyon"),
            null);
    Interaction compared =
        turn.amendedWith(
            java.util.UUID.randomUUID(),
            Feedback.preferredOver(List.of(Message.assistant("Lyon"))),
            null);
    Interaction referenced =
        turn.amendedWith(
            java.util.UUID.randomUUID(), null, Reference.groundTruth("Paris", "exact_match"));

    assertThat(down.isAmendment()).isTrue();
    assertThat(down.amends()).contains(turn.eventId());
    assertThat(kindsOf(down)).containsExactly(DatasetKind.UNPAIRED);
    UnpairedRow downRow = UnpairedRow.derive(down, POLICY).orElseThrow();
    assertThat(downRow.label()).isFalse();
    assertThat(downRow.provenance().labels())
        .extracting(l -> l.name() + "=" + l.value())
        .containsExactly("user_rating=down", "user_comment=it is Paris, not Lyon");
    assertThat(kindsOf(compared)).containsExactly(DatasetKind.PREFERENCE);
    assertThat(kindsOf(referenced)).containsExactly(DatasetKind.RFT);
  }

  @Test
  void aTurnCutShortIsNeverImitatedButStillANegativeExampleOrAPrompt() {
    Interaction cut = chat().outcome(TurnOutcome.LIMIT_EXCEEDED).build();
    assertThat(kindsOf(cut)).isEmpty();

    Interaction down =
        cut.amendedWith(java.util.UUID.randomUUID(), Feedback.rated(Rating.DOWN), null);
    assertThat(kindsOf(down)).containsExactly(DatasetKind.UNPAIRED);
    assertThat(UnpairedRow.derive(down, POLICY).orElseThrow().label()).isFalse();
    assertThat(
            kindsOf(cut.amendedWith(java.util.UUID.randomUUID(), Feedback.rated(Rating.UP), null)))
        .isEmpty();
    assertThat(
            kindsOf(
                cut.amendedWith(
                    java.util.UUID.randomUUID(),
                    Feedback.preferredOver(List.of(Message.assistant("Lyon"))),
                    null)))
        .isEmpty();
    assertThat(
            kindsOf(
                cut.amendedWith(
                    java.util.UUID.randomUUID(), null, Reference.groundTruth("Paris", null))))
        .containsExactly(DatasetKind.RFT);
  }

  @Test
  void aPlainTurnIsOnlySft() {
    assertThat(kindsOf(chat().build())).containsExactly(DatasetKind.SFT);
  }

  @Test
  void aRegeneratedTurnIsAPreferencePairWithTheKeptResponseChosen() {
    Interaction event =
        chat().feedback(Feedback.preferredOver(List.of(Message.assistant("Lyon")))).build();
    assertThat(kindsOf(event)).containsExactlyInAnyOrder(DatasetKind.SFT, DatasetKind.PREFERENCE);
    PreferenceRow row = PreferenceRow.derive(event, POLICY).orElseThrow();
    assertThat(row.prompt()).extracting(SftMessage::role).containsExactly("system", "user");
    assertThat(row.chosen()).containsExactly(new SftMessage("assistant", "Paris", null));
    assertThat(row.rejected()).containsExactly(new SftMessage("assistant", "Lyon", null));
  }

  @Test
  void aThumbsUpIsAnUnpairedRowLabelledTrueAndAUserRatingLabel() {
    Interaction event = chat().feedback(Feedback.rated(Rating.UP)).build();
    assertThat(kindsOf(event)).containsExactlyInAnyOrder(DatasetKind.SFT, DatasetKind.UNPAIRED);
    UnpairedRow row = UnpairedRow.derive(event, POLICY).orElseThrow();
    assertThat(row.label()).isTrue();
    assertThat(row.completion()).containsExactly(new SftMessage("assistant", "Paris", null));
    assertThat(row.provenance().labels())
        .containsExactly(new Label("user_rating", "up", "user", null, null, false));
  }

  @Test
  void aThumbsDownIsUnpairedFalseAndKeptOutOfSft() {
    Interaction event = chat().feedback(Feedback.rated(Rating.DOWN)).build();
    assertThat(kindsOf(event)).containsExactly(DatasetKind.UNPAIRED);
    assertThat(UnpairedRow.derive(event, POLICY).orElseThrow().label()).isFalse();
  }

  @Test
  void aTaskWithAReferenceIsAnRftPromptWithoutTheResponse() {
    Interaction event = chat().reference(Reference.groundTruth("Paris", "exact_match")).build();
    assertThat(kindsOf(event)).containsExactlyInAnyOrder(DatasetKind.SFT, DatasetKind.RFT);
    RftRow row = RftRow.derive(event, POLICY).orElseThrow();
    assertThat(row.prompt()).extracting(SftMessage::role).containsExactly("system", "user");
    assertThat(row.groundTruth()).isEqualTo("Paris");
    assertThat(row.verifier()).isEqualTo("exact_match");
  }

  @Test
  void anEvalExampleGoesOnlyToEvalEvenWithFeedback() {
    Interaction event =
        chat()
            .reference(Reference.evalExample("Paris", "names the capital"))
            .feedback(new Feedback(Optional.of(Rating.UP), List.of(Message.assistant("Lyon"))))
            .build();
    assertThat(kindsOf(event)).containsExactly(DatasetKind.EVAL);
    EvalRow row = EvalRow.derive(event, POLICY).orElseThrow();
    assertThat(row.input()).extracting(SftMessage::content).endsWith("capital of France?");
    assertThat(row.expected()).isEqualTo("Paris");
    assertThat(row.rubric()).isEqualTo("names the capital");
  }

  @Test
  void aTurnWithoutAUserMessageHasNoPromptSoOnlySft() {
    Interaction event =
        Interaction.builder()
            .sessionId("s1")
            .tenant("acme")
            .agent("helper", "1.0.0")
            .message(Message.assistant("hello"))
            .feedback(new Feedback(Optional.of(Rating.UP), List.of(Message.assistant("hi"))))
            .reference(Reference.groundTruth("x", null))
            .build();
    assertThat(kindsOf(event)).containsExactly(DatasetKind.SFT);
  }

  /** A command the user ran in the sandbox: no model made the call. */
  private static Interaction sandboxCommand() {
    return Interaction.sandboxCommand("acme", "s", 0, "shell", "1", "ls", "a.txt", 0, Duration.ZERO)
        .withPiiSpans(
            List.of(new PiiFinding("EMAIL_ADDRESS", 0, 5, "MASK", "messages[0].content", 0)));
  }

  @Test
  void aSandboxCommandIsAnAssistantCallOfSandboxExecAnsweredByItsOutputInEveryKind() {
    Interaction event = sandboxCommand();
    String id = event.toolCalls().get(0).id();
    List<SftMessage> response =
        List.of(
            SftMessage.assistantCalling(
                "", List.of(new SftToolCall(id, "sandbox_exec", "{\"command\":\"ls\"}"))),
            SftMessage.toolResult(id, "sandbox_exec", "a.txt"));
    List<SftMessage> prompt = List.of(SftMessage.of("user", "ls"));

    assertThat(kindsOf(event)).containsExactly(DatasetKind.SFT);
    SftRow sft = SftRow.derive(event, POLICY).orElseThrow();
    assertThat(sft.messages().subList(0, 1)).isEqualTo(prompt);
    assertThat(sft.messages().subList(1, 3)).isEqualTo(response);
    assertThat(sft.messages()).hasSize(3);
    assertThat(sft.provenance().piiSpans()).isEqualTo(event.piiSpans());

    Interaction compared =
        event.amendedWith(
            UUID.randomUUID(),
            Feedback.preferredOver(List.of(Message.assistant("no such file"))),
            null);
    assertThat(kindsOf(compared)).containsExactly(DatasetKind.PREFERENCE);
    PreferenceRow preference = PreferenceRow.derive(compared, POLICY).orElseThrow();
    assertThat(preference.prompt()).isEqualTo(prompt);
    assertThat(preference.chosen()).isEqualTo(response);

    Interaction rated = event.amendedWith(UUID.randomUUID(), Feedback.rated(Rating.UP), null);
    assertThat(kindsOf(rated)).containsExactly(DatasetKind.UNPAIRED);
    UnpairedRow unpaired = UnpairedRow.derive(rated, POLICY).orElseThrow();
    assertThat(unpaired.prompt()).isEqualTo(prompt);
    assertThat(unpaired.completion()).isEqualTo(response);

    Interaction task =
        event.amendedWith(UUID.randomUUID(), null, Reference.groundTruth("0", "exit_code"));
    assertThat(kindsOf(task)).containsExactly(DatasetKind.RFT);
    assertThat(RftRow.derive(task, POLICY).orElseThrow().prompt()).isEqualTo(prompt);

    Interaction eval =
        event.amendedWith(UUID.randomUUID(), null, Reference.evalExample("a.txt", null));
    assertThat(kindsOf(eval)).containsExactly(DatasetKind.EVAL);
    assertThat(EvalRow.derive(eval, POLICY).orElseThrow().input()).isEqualTo(prompt);
  }

  /**
   * An agent turn from an edge before {@code tool_call_ids}: its calls are listed, but no message
   * says it made them, and the messages that only called tools were left out.
   */
  private static Interaction.Builder turnFromBeforeToolCallIds() {
    return mathTurn()
        .message(Message.user("what is 12*(3+4) and 2+2?"))
        .message(Message.assistant("12*(3+4) = 84 and 2+2 = 4"))
        .toolCall(exec("c1", "python3 -c 'print(12*(3+4))'", "84\n"))
        .toolCall(exec("c2", "python3 -c 'print(2+2)'", "4\n"));
  }

  @Test
  void aTurnFromBeforeToolCallIdsHasItsCallsAndResultsBeforeTheAnswerInEveryKind() {
    List<SftMessage> prompt = List.of(SftMessage.of("user", "what is 12*(3+4) and 2+2?"));

    Interaction turn = turnFromBeforeToolCallIds().build();
    assertThat(kindsOf(turn)).containsExactly(DatasetKind.SFT);
    List<SftMessage> expected = new ArrayList<>(prompt);
    expected.addAll(MULTI_TOOL_COMPLETION);
    // the same row as the turn's event gets from an edge that names the calls
    assertThat(SftRow.derive(turn, POLICY).orElseThrow().messages())
        .isEqualTo(expected)
        .isEqualTo(SftRow.derive(multiToolTurn().build(), POLICY).orElseThrow().messages());

    Interaction compared =
        turnFromBeforeToolCallIds()
            .feedback(Feedback.preferredOver(List.of(Message.assistant("about 80"))))
            .build();
    assertThat(kindsOf(compared)).contains(DatasetKind.PREFERENCE);
    PreferenceRow preference = PreferenceRow.derive(compared, POLICY).orElseThrow();
    assertThat(preference.prompt()).isEqualTo(prompt);
    assertThat(preference.chosen()).isEqualTo(MULTI_TOOL_COMPLETION);

    Interaction rated = turnFromBeforeToolCallIds().feedback(Feedback.rated(Rating.DOWN)).build();
    assertThat(kindsOf(rated)).containsExactly(DatasetKind.UNPAIRED);
    assertThat(UnpairedRow.derive(rated, POLICY).orElseThrow().completion())
        .isEqualTo(MULTI_TOOL_COMPLETION);

    Interaction task =
        turnFromBeforeToolCallIds().reference(Reference.groundTruth("84", "numeric")).build();
    assertThat(kindsOf(task)).contains(DatasetKind.RFT);
    assertThat(RftRow.derive(task, POLICY).orElseThrow().prompt()).isEqualTo(prompt);

    Interaction eval =
        turnFromBeforeToolCallIds().reference(Reference.evalExample("84", null)).build();
    assertThat(kindsOf(eval)).containsExactly(DatasetKind.EVAL);
    assertThat(EvalRow.derive(eval, POLICY).orElseThrow().input()).isEqualTo(prompt);
  }

  @Test
  void callsNoMessageNamesGoBeforeTheAnswerAfterTheResponsesThatNamedTheirs() {
    // Not what an edge sends (it names every call, or none), but rows stay valid for any producer.
    Interaction event =
        mathTurn()
            .message(Message.user("list, then count"))
            .message(Message.assistant("listing", List.of("c1")))
            .message(Message.assistant("2 files"))
            .toolCall(exec("c1", "ls", "a\nb\n"))
            .toolCall(exec("c2", "ls | wc -l", "2\n"))
            .build();

    assertThat(kindsOf(event)).containsExactly(DatasetKind.SFT);
    assertThat(SftRow.derive(event, POLICY).orElseThrow().messages())
        .extracting(m -> m.role() + ":" + m.content() + ":" + m.toolCallId())
        .containsExactly(
            "user:list, then count:null",
            "assistant:listing:null",
            "tool:a\nb\n:c1",
            "assistant::null",
            "tool:2\n:c2",
            "assistant:2 files:null");
  }

  @Test
  void aTurnCutShortBeforeItsAnswerHasCallsNoMessageNamesAtTheEnd() {
    Interaction cut =
        mathTurn()
            .outcome(TurnOutcome.LIMIT_EXCEEDED)
            .message(Message.user("count the files"))
            .toolCall(exec("c1", "ls | wc -l", "2\n"))
            .build()
            .amendedWith(UUID.randomUUID(), Feedback.rated(Rating.DOWN), null);

    assertThat(kindsOf(cut)).containsExactly(DatasetKind.UNPAIRED);
    assertThat(UnpairedRow.derive(cut, POLICY).orElseThrow().completion())
        .extracting(SftMessage::role)
        .containsExactly("assistant", "tool");
  }

  private static ToolCall exec(String id, String command, String output) {
    return new ToolCall(
        id, "sandbox_exec", "{\"command\":\"" + command + "\"}", output, 0, ToolCallStatus.OK, 3);
  }

  /** A user question, one model response calling two tools, their results, then the answer. */
  private static Interaction.Builder multiToolTurn() {
    return mathTurn()
        .message(Message.user("what is 12*(3+4) and 2+2?"))
        .message(Message.assistant("", List.of("c1", "c2")))
        .message(Message.assistant("12*(3+4) = 84 and 2+2 = 4"))
        .toolCall(exec("c1", "python3 -c 'print(12*(3+4))'", "84\n"))
        .toolCall(exec("c2", "python3 -c 'print(2+2)'", "4\n"));
  }

  private static final List<SftMessage> MULTI_TOOL_COMPLETION =
      List.of(
          SftMessage.assistantCalling(
              "",
              List.of(
                  new SftToolCall(
                      "c1", "sandbox_exec", "{\"command\":\"python3 -c 'print(12*(3+4))'\"}"),
                  new SftToolCall(
                      "c2", "sandbox_exec", "{\"command\":\"python3 -c 'print(2+2)'\"}"))),
          SftMessage.toolResult("c1", "sandbox_exec", "84\n"),
          SftMessage.toolResult("c2", "sandbox_exec", "4\n"),
          SftMessage.of("assistant", "12*(3+4) = 84 and 2+2 = 4"));

  @Test
  void aMultiToolTurnHasEachResultAfterTheCallThatAskedForItAndTheAnswerLast() {
    SftRow row = SftRow.derive(multiToolTurn().build(), POLICY).orElseThrow();

    List<SftMessage> expected = new java.util.ArrayList<>();
    expected.add(SftMessage.of("user", "what is 12*(3+4) and 2+2?"));
    expected.addAll(MULTI_TOOL_COMPLETION);
    assertThat(row.messages()).containsExactlyElementsOf(expected);
    // The links TRL's chat templates follow: each tool message answers a call of the assistant
    // message before it, by id
    assertThat(row.messages().get(1).toolCalls())
        .extracting(SftToolCall::id)
        .containsExactly(row.messages().get(2).toolCallId(), row.messages().get(3).toolCallId());
    assertThat(row.messages().get(2).name()).isEqualTo("sandbox_exec");
  }

  @Test
  void aCallNamedAsSpecsNameToolsReadsInSftRowsAsModelsCallIt() {
    ToolCall dotted =
        new ToolCall("c1", "sandbox.exec", "{\"command\":\"ls\"}", "a\n", 0, ToolCallStatus.OK, 3);
    Interaction turn =
        mathTurn()
            .message(Message.user("what is here?"))
            .message(Message.assistant("", List.of("c1")))
            .message(Message.assistant("a"))
            .toolCall(dotted)
            .build();

    SftRow row = SftRow.derive(turn, POLICY).orElseThrow();

    assertThat(row.messages().get(1).toolCalls())
        .extracting(SftToolCall::name)
        .containsExactly("sandbox_exec");
    assertThat(row.messages().get(2).name()).isEqualTo("sandbox_exec");
  }

  @Test
  void everyKindSplitsAMultiToolTurnAfterTheUserMessageAndEndsTheResponseWithTheAnswer() {
    Interaction compared =
        multiToolTurn()
            .feedback(Feedback.preferredOver(List.of(Message.assistant("about 80"))))
            .build();
    PreferenceRow preference = PreferenceRow.derive(compared, POLICY).orElseThrow();
    assertThat(preference.prompt())
        .containsExactly(SftMessage.of("user", "what is 12*(3+4) and 2+2?"));
    assertThat(preference.chosen()).containsExactlyElementsOf(MULTI_TOOL_COMPLETION);
    assertThat(preference.chosen().get(preference.chosen().size() - 1).role())
        .isEqualTo(preference.rejected().get(preference.rejected().size() - 1).role())
        .isEqualTo("assistant");

    Interaction rated = multiToolTurn().feedback(Feedback.rated(Rating.UP)).build();
    assertThat(UnpairedRow.derive(rated, POLICY).orElseThrow().completion())
        .containsExactlyElementsOf(MULTI_TOOL_COMPLETION);

    Interaction task = multiToolTurn().reference(Reference.groundTruth("84", "numeric")).build();
    assertThat(RftRow.derive(task, POLICY).orElseThrow().prompt())
        .containsExactly(SftMessage.of("user", "what is 12*(3+4) and 2+2?"));
  }

  @Test
  void callsOfLaterModelResponsesFollowTheirOwnMessageEvenWithTheSameId() {
    // The edge names unnamed calls call_<index> per response: two rounds may both have call_0.
    Interaction event =
        mathTurn()
            .message(Message.user("list, then count"))
            .message(Message.assistant("listing", List.of("call_0")))
            .message(Message.assistant("", List.of("call_0")))
            .message(Message.assistant("2 files"))
            .toolCall(exec("call_0", "ls", "a\nb\n"))
            .toolCall(exec("call_0", "ls | wc -l", "2\n"))
            .build();

    assertThat(SftRow.derive(event, POLICY).orElseThrow().messages())
        .extracting(m -> m.role() + ":" + m.content() + ":" + m.toolCallId())
        .containsExactly(
            "user:list, then count:null",
            "assistant:listing:null",
            "tool:a\nb\n:call_0",
            "assistant::null",
            "tool:2\n:call_0",
            "assistant:2 files:null");
  }

  @Test
  void everyKindHasTheProvenanceColumns() {
    for (DatasetKind kind : DatasetKind.values()) {
      assertThat(kind.avroSchema().getFields())
          .extracting(f -> f.name())
          .contains(
              "example_id",
              "trace_id",
              "session_id",
              "agent",
              "agent_version",
              "model",
              "created_at",
              "scrub_policy_version",
              "labels",
              "scores",
              "pii_spans");
    }
  }

  /**
   * What chat templates (and TRL's SFT trainer with tools) require of a conversation: every {@code
   * tool} message answers, by id, a call an earlier {@code assistant} message made.
   */
  private static void assertEveryToolMessageAnswersAnEarlierCall(DatasetRow row) {
    for (List<SftMessage> conversation : conversations(row)) {
      Set<String> called = new HashSet<>();
      for (SftMessage m : conversation) {
        if (m.role().equals("tool")) {
          assertThat(m.toolCallId()).as("the call %s answers", m).isIn(called);
        }
        if (m.toolCalls() != null) {
          assertThat(m.role()).isEqualTo("assistant");
          m.toolCalls().forEach(c -> called.add(c.id()));
        }
      }
    }
  }

  /** Each conversation a row holds, its prompt and response together. */
  private static List<List<SftMessage>> conversations(DatasetRow row) {
    if (row instanceof SftRow sft) {
      return List.of(sft.messages());
    } else if (row instanceof PreferenceRow p) {
      return List.of(concat(p.prompt(), p.chosen()), concat(p.prompt(), p.rejected()));
    } else if (row instanceof UnpairedRow u) {
      return List.of(concat(u.prompt(), u.completion()));
    } else if (row instanceof RftRow r) {
      return List.of(r.prompt());
    }
    return List.of(((EvalRow) row).input());
  }

  private static List<SftMessage> concat(List<SftMessage> a, List<SftMessage> b) {
    List<SftMessage> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
