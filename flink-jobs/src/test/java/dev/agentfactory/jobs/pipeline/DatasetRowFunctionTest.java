package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.dataset.DatasetKind;
import dev.agentfactory.connectors.dataset.DatasetRow;
import dev.agentfactory.connectors.dataset.EvalRow;
import dev.agentfactory.connectors.dataset.Label;
import dev.agentfactory.connectors.dataset.Score;
import dev.agentfactory.connectors.dataset.SftRow;
import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Rating;
import dev.agentfactory.connectors.event.Reference;
import dev.agentfactory.jobs.label.JudgeVerdict;
import dev.agentfactory.jobs.label.LabeledInteraction;
import dev.agentfactory.jobs.label.RuleLabeler;
import java.util.List;
import java.util.UUID;
import org.apache.flink.streaming.api.operators.StreamFlatMap;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class DatasetRowFunctionTest {

  private static final Score JUDGE_SCORE =
      new Score(JudgeVerdict.SCORE, 0.75, "judge", "judge-model", "judge-helpfulness-v1", false);

  @Test
  void aCompletedTurnMakesOneSftRowCarryingItsLabelsScoresAndScrubPolicy() throws Exception {
    Interaction turn = chat().build();
    LabeledInteraction labeled =
        new LabeledInteraction(turn, RuleLabeler.label(turn), List.of(JUDGE_SCORE));

    List<DatasetRow> rows = rows(DatasetKind.SFT, labeled);

    assertThat(rows).hasSize(1);
    SftRow row = (SftRow) rows.get(0);
    assertThat(row.provenance().exampleId()).isEqualTo(turn.eventId().toString());
    assertThat(row.provenance().scrubPolicyVersion()).isEqualTo("pii-test");
    assertThat(row.provenance().labels()).containsAll(labeled.labels());
    assertThat(row.provenance().scores()).containsExactly(JUDGE_SCORE);
    assertThat(row.messages()).extracting(m -> m.content()).contains("the capital is Paris");
  }

  @Test
  void aTurnRatedDownAnAmendmentOrAnEvalExampleMakesNoSftRow() throws Exception {
    Interaction turn = chat().build();
    Interaction ratedDown = chat().feedback(Feedback.rated(Rating.DOWN)).build();
    Interaction amendment = turn.amendedWith(UUID.randomUUID(), Feedback.rated(Rating.UP), null);
    Interaction evalExample = chat().reference(Reference.evalExample("Paris", null)).build();

    assertThat(rows(DatasetKind.SFT, labeled(ratedDown), labeled(amendment), labeled(evalExample)))
        .isEmpty();
  }

  @Test
  void anEvalMarkedTurnMakesAnEvalRowWithItsExpectedAnswer() throws Exception {
    Interaction marked = chat().reference(Reference.evalExample("Paris", "names the city")).build();

    List<DatasetRow> rows = rows(DatasetKind.EVAL, labeled(chat().build()), labeled(marked));

    assertThat(rows).hasSize(1);
    EvalRow row = (EvalRow) rows.get(0);
    assertThat(row.expected()).isEqualTo("Paris");
    assertThat(row.rubric()).isEqualTo("names the city");
    assertThat(row.provenance().exampleId()).isEqualTo(marked.eventId().toString());
    assertThat(row.provenance().labels())
        .extracting(Label::name)
        .contains(RuleLabeler.TASK_SUCCESS);
  }

  private static List<DatasetRow> rows(DatasetKind kind, LabeledInteraction... in)
      throws Exception {
    try (var harness =
        new OneInputStreamOperatorTestHarness<>(
            new StreamFlatMap<>(new DatasetRowFunction(kind, "pii-test")))) {
      harness.open();
      for (LabeledInteraction l : in) {
        harness.processElement(l, 1L);
      }
      return harness.extractOutputValues();
    }
  }

  private static LabeledInteraction labeled(Interaction e) {
    return new LabeledInteraction(e, RuleLabeler.label(e), List.of());
  }

  private static Interaction.Builder chat() {
    return Interaction.builder()
        .sessionId("s")
        .tenant("acme")
        .agent("helper", "1.0.0")
        .message(Message.user("what is the capital of France?"))
        .message(Message.assistant("the capital is Paris"));
  }
}
