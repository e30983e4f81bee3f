package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Rating;
import dev.agentfactory.jobs.eval.EvalSample;
import dev.agentfactory.jobs.label.JudgeVerdict;
import dev.agentfactory.jobs.label.LabeledInteraction;
import dev.agentfactory.jobs.label.RuleLabeler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.flink.streaming.api.operators.StreamFlatMap;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The two operators that turn the pipeline's streams into eval samples: turns and verdicts. */
class EvalSampleFunctionsTest {

  private final Interaction failedCommand =
      Interaction.sandboxCommand(
          "acme", "s1", 0, "shell", "2.0.0", "cat x", "no such file", 1, Duration.ofMillis(40));
  private final Interaction answer =
      Interaction.builder()
          .sessionId("s2")
          .tenant("acme")
          .agent("shell", "2.0.0")
          .message(Message.user("where am I?"))
          .message(Message.assistant("in /workspace"))
          .usage(12, 3)
          .latencyMs(250)
          .build();

  @Test
  void eachScrubbedTurnBecomesOneTurnSampleLabelledByTheRules() throws Exception {
    List<EvalSample> out;
    try (var harness =
        new OneInputStreamOperatorTestHarness<>(new StreamFlatMap<>(new TurnSampleFunction()))) {
      harness.open();
      harness.processElement(failedCommand, 1L);
      harness.processElement(answer, 2L);
      out = harness.extractOutputValues();
    }

    assertThat(out).hasSize(2);
    EvalSample failed = out.get(0);
    assertThat(failed.key()).isEqualTo("acme\u0000shell\u00002.0.0");
    assertThat(failed.turns()).isEqualTo(1);
    assertThat(failed.failures()).isEqualTo(1);
    assertThat(failed.successes()).isZero();
    assertThat(failed.toolCalls()).isEqualTo(1);
    assertThat(failed.toolErrors()).isEqualTo(1);
    assertThat(failed.latencyMs()).isEqualTo(40);
    EvalSample ok = out.get(1);
    assertThat(ok.successes()).isEqualTo(1);
    assertThat(ok.inputTokens()).isEqualTo(12);
    assertThat(ok.outputTokens()).isEqualTo(3);
    assertThat(ok.judgeScore()).isNaN();
  }

  @Test
  void feedbackAfterTheTurnBecomesNoSampleSoItOpensNoWindowWithoutTheTurn() throws Exception {
    Interaction thumbsUp = answer.amendedWith(UUID.randomUUID(), Feedback.rated(Rating.UP), null);

    List<EvalSample> out;
    try (var turns =
            new OneInputStreamOperatorTestHarness<>(new StreamFlatMap<>(new TurnSampleFunction()));
        var safety =
            new OneInputStreamOperatorTestHarness<>(
                new StreamFlatMap<>(new SafetyScanFunction()))) {
      turns.open();
      safety.open();
      turns.processElement(thumbsUp, 1L);
      safety.processElement(thumbsUp, 1L);
      out = new ArrayList<>(turns.extractOutputValues());
      out.addAll(safety.extractOutputValues());
    }

    assertThat(out)
        .as("a window of the feedback alone would show the version with no turns")
        .isEmpty();
  }

  @Test
  void onlyJudgedTurnsBecomeVerdictSamplesAndTheyCountNoTurn() throws Exception {
    JudgeVerdict pass = new JudgeVerdict(0.8, "pass", "judge-model", "judge-helpfulness-v1");
    LabeledInteraction scored = rules(answer).plus(pass.label(), pass.scoreColumn());
    LabeledInteraction degraded =
        rules(failedCommand).plus(JudgeVerdict.degraded("judge-model", "r"), null);
    LabeledInteraction notSampled = rules(answer);
    LabeledInteraction judgedAmendment =
        rules(answer.amendedWith(UUID.randomUUID(), Feedback.rated(Rating.UP), null))
            .plus(pass.label(), pass.scoreColumn());

    List<EvalSample> out;
    try (var harness =
        new OneInputStreamOperatorTestHarness<>(new StreamFlatMap<>(new JudgeSampleFunction()))) {
      harness.open();
      for (LabeledInteraction l : List.of(scored, notSampled, degraded, judgedAmendment)) {
        harness.processElement(l, 1L);
      }
      out = harness.extractOutputValues();
    }

    assertThat(out).hasSize(2);
    assertThat(out).allMatch(s -> s.turns() == 0 && s.successes() == 0 && s.toolCalls() == 0);
    assertThat(out.get(0).judgeScore()).isEqualTo(0.8);
    assertThat(out.get(0).judgeDegraded()).isZero();
    assertThat(out.get(1).judgeScore()).isNaN();
    assertThat(out.get(1).judgeDegraded()).isEqualTo(1);
    assertThat(out.get(1).key()).isEqualTo(EvalSample.ofSafety(failedCommand, 0, 0).key());
  }

  private static LabeledInteraction rules(Interaction e) {
    return new LabeledInteraction(e, RuleLabeler.label(e), List.of());
  }
}
