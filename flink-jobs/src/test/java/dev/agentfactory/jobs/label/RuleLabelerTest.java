package dev.agentfactory.jobs.label;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.dataset.Label;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.connectors.event.TurnOutcome;
import dev.agentfactory.jobs.eval.EvalSample;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RuleLabelerTest {

  @Test
  void aFailedCommandIsAToolErrorAndAFailedTask() {
    Map<String, String> labels =
        values(
            Interaction.sandboxCommand(
                "t", "s", 0, "shell", "1", "cat x", "no such file", 1, Duration.ofMillis(20)));
    assertThat(labels)
        .containsEntry(RuleLabeler.TOOL_ERROR, "true")
        .containsEntry(RuleLabeler.TASK_SUCCESS, "failure")
        .containsEntry(RuleLabeler.LATENCY_BUCKET, "lt_1s");
  }

  @Test
  void aCommandThatDidNotRunIsAToolErrorAndAFailedTask() {
    Interaction event =
        Interaction.builder()
            .sessionId("s")
            .tenant("t")
            .agent("a", "1")
            .message(Message.user("list the files"))
            .toolCall(
                new ToolCall(
                    "call_1",
                    "sandbox_exec",
                    "{\"command\":\"ls\"}",
                    "no sandbox could be leased",
                    null,
                    ToolCallStatus.NOT_RUN,
                    0))
            .build();
    assertThat(values(event))
        .containsEntry(RuleLabeler.TOOL_ERROR, "true")
        .containsEntry(RuleLabeler.TASK_SUCCESS, "failure");
    assertThat(
            EvalSample.ofTurn(new LabeledInteraction(event, RuleLabeler.label(event), List.of()))
                .toolErrors())
        .isEqualTo(1);
  }

  @Test
  void anAnsweredChatTurnIsASuccess() {
    Map<String, String> labels = values(chat("what is 2+2?", "4", 1_500));
    assertThat(labels)
        .containsEntry(RuleLabeler.TOOL_ERROR, "false")
        .containsEntry(RuleLabeler.TASK_SUCCESS, "success")
        .containsEntry(RuleLabeler.REFUSAL, "false")
        .containsEntry(RuleLabeler.USER_FEEDBACK, "none")
        .containsEntry(RuleLabeler.LATENCY_BUCKET, "1s_5s");
  }

  @Test
  void refusalsAreRecognisedAndFailTheTask() {
    for (String refusal :
        List.of(
            "I'm sorry, but I can't help with that.",
            "I cannot assist with this request.",
            "Sure. Unfortunately, I am unable to provide that.",
            "As an AI language model, I cannot do that")) {
      Map<String, String> labels = values(chat("do the thing", refusal, 10));
      assertThat(labels).as(refusal).containsEntry(RuleLabeler.REFUSAL, "true");
      assertThat(labels).as(refusal).containsEntry(RuleLabeler.TASK_SUCCESS, "failure");
    }
    assertThat(values(chat("can you?", "I can help with that: here it is.", 10)))
        .containsEntry(RuleLabeler.REFUSAL, "false");
  }

  @Test
  void userFeedbackIsReadFromTheUsersWords() {
    assertThat(values(chat("thanks, that works! now list files", "ok", 10)))
        .containsEntry(RuleLabeler.USER_FEEDBACK, "positive");
    assertThat(values(chat("that's wrong, it didn't work", "sorry, retrying", 10)))
        .containsEntry(RuleLabeler.USER_FEEDBACK, "negative");
  }

  @Test
  void aTurnCutShortIsNoSuccessWhateverItSaidLast() {
    for (TurnOutcome outcome :
        List.of(
            TurnOutcome.LIMIT_EXCEEDED, TurnOutcome.MODEL_ERROR, TurnOutcome.TOOL_UNAVAILABLE)) {
      assertThat(values(cut("list the files", "Here they are: a.txt", outcome)))
          .as(outcome.json())
          .containsEntry(RuleLabeler.TASK_SUCCESS, "failure");
    }
    // its session ended under it: nobody can tell how it would have gone
    assertThat(values(cut("list the files", "Here they are: a.txt", TurnOutcome.CANCELLED)))
        .containsEntry(RuleLabeler.TASK_SUCCESS, "unknown");
    assertThat(values(cut("list the files", "Here they are: a.txt", TurnOutcome.COMPLETED)))
        .containsEntry(RuleLabeler.TASK_SUCCESS, "success");
  }

  @Test
  void latencyBucketsHaveFixedEdges() {
    assertThat(RuleLabeler.latencyBucket(999)).isEqualTo("lt_1s");
    assertThat(RuleLabeler.latencyBucket(1_000)).isEqualTo("1s_5s");
    assertThat(RuleLabeler.latencyBucket(5_000)).isEqualTo("5s_30s");
    assertThat(RuleLabeler.latencyBucket(30_000)).isEqualTo("ge_30s");
  }

  @Test
  void everyRuleLabelCarriesTheRulesVersionAndNoModel() {
    assertThat(RuleLabeler.label(chat("hi", "hello", 1)))
        .allSatisfy(
            l -> {
              assertThat(l.source()).isEqualTo(Label.Source.RULE.json());
              assertThat(l.rubricVersion()).isEqualTo(RuleLabeler.VERSION);
              assertThat(l.model()).isNull();
              assertThat(l.degraded()).isFalse();
            });
  }

  private static Interaction chat(String user, String assistant, long latencyMs) {
    return Interaction.builder()
        .sessionId("s")
        .tenant("t")
        .agent("a", "1")
        .message(Message.user(user))
        .message(Message.assistant(assistant))
        .latencyMs(latencyMs)
        .build();
  }

  private static Interaction cut(String user, String assistant, TurnOutcome outcome) {
    return Interaction.builder()
        .sessionId("s")
        .tenant("t")
        .agent("a", "1")
        .message(Message.user(user))
        .message(Message.assistant(assistant))
        .outcome(outcome)
        .build();
  }

  private static Map<String, String> values(Interaction event) {
    return RuleLabeler.label(event).stream().collect(Collectors.toMap(Label::name, Label::value));
  }
}
