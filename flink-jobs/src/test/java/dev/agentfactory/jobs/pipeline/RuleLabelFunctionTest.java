package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.dataset.Label;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.jobs.label.LabeledInteraction;
import dev.agentfactory.jobs.label.RuleLabeler;
import java.time.Duration;
import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class RuleLabelFunctionTest {

  @Test
  @SuppressWarnings("try") // the harness's close() declares InterruptedException
  void everyTurnLeavesWithTheRuleLabelsAndNoScores() throws Exception {
    Interaction failed =
        Interaction.sandboxCommand(
            "acme", "s1", 0, "shell", "1.0.0", "cat x", "no such file", 1, Duration.ofMillis(7));
    Interaction answered =
        Interaction.builder()
            .sessionId("s2")
            .tenant("acme")
            .agent("helper", "1.0.0")
            .message(Message.user("what is 2+2?"))
            .message(Message.assistant("4"))
            .latencyMs(6_000)
            .build();

    try (var harness =
        new OneInputStreamOperatorTestHarness<>(new StreamMap<>(new RuleLabelFunction()))) {
      harness.open();
      harness.processElement(new StreamRecord<>(failed, 10L));
      harness.processElement(new StreamRecord<>(answered, 20L));

      var out = harness.extractOutputStreamRecords();
      assertThat(out).extracting(StreamRecord::getTimestamp).containsExactly(10L, 20L);
      LabeledInteraction first = (LabeledInteraction) out.get(0).getValue();
      LabeledInteraction second = (LabeledInteraction) out.get(1).getValue();
      assertThat(first.event()).isEqualTo(failed);
      assertThat(first.labels())
          .extracting(Label::name)
          .containsExactly(
              RuleLabeler.TOOL_ERROR,
              RuleLabeler.TASK_SUCCESS,
              RuleLabeler.USER_FEEDBACK,
              RuleLabeler.REFUSAL,
              RuleLabeler.LATENCY_BUCKET);
      assertThat(first.labels()).allMatch(l -> "rule".equals(l.source()) && !l.degraded());
      assertThat(first.labelValue(RuleLabeler.TOOL_ERROR)).isEqualTo("true");
      assertThat(first.labelValue(RuleLabeler.TASK_SUCCESS)).isEqualTo("failure");
      assertThat(first.labelValue(RuleLabeler.LATENCY_BUCKET)).isEqualTo("lt_1s");
      assertThat(second.labelValue(RuleLabeler.TOOL_ERROR)).isEqualTo("false");
      assertThat(second.labelValue(RuleLabeler.TASK_SUCCESS)).isEqualTo("success");
      assertThat(second.labelValue(RuleLabeler.LATENCY_BUCKET)).isEqualTo("5s_30s");
      assertThat(first.scores()).isEmpty();
      assertThat(second.scores()).isEmpty();
    }
  }
}
