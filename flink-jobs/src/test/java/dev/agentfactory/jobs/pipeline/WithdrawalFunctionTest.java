package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.dataset.DatasetKind;
import dev.agentfactory.connectors.dataset.Withdrawal;
import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Rating;
import dev.agentfactory.connectors.event.Reference;
import dev.agentfactory.jobs.label.LabeledInteraction;
import dev.agentfactory.jobs.label.RuleLabeler;
import java.util.List;
import java.util.UUID;
import org.apache.flink.streaming.api.operators.StreamFlatMap;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class WithdrawalFunctionTest {

  private final Interaction turn =
      Interaction.builder()
          .sessionId("s")
          .tenant("acme")
          .agent("helper", "1.0.0")
          .message(Message.user("summarise the report"))
          .message(Message.assistant("it says revenue went up"))
          .build();
  private final Interaction thumbsDown =
      turn.amendedWith(UUID.randomUUID(), Feedback.rated(Rating.DOWN), null);
  private final Interaction thumbsUp =
      turn.amendedWith(UUID.randomUUID(), Feedback.rated(Rating.UP), null);
  private final Interaction evalMark =
      turn.amendedWith(UUID.randomUUID(), null, Reference.evalExample("revenue rose 4%", null));

  @Test
  void aLaterThumbsDownWithdrawsTheTurnsSftRowAndNothingElseDoes() throws Exception {
    List<Withdrawal> out = withdrawals(DatasetKind.SFT, turn, thumbsUp, thumbsDown);

    assertThat(out).hasSize(1);
    Withdrawal w = out.get(0);
    assertThat(w.exampleId()).isEqualTo(turn.eventId().toString());
    assertThat(w.withdrawnBy()).isEqualTo(thumbsDown.eventId().toString());
    assertThat(w.reason()).isEqualTo(Withdrawal.RATED_DOWN);
    assertThat(w.sessionId()).isEqualTo("s");
    assertThat(w.tenant()).isEqualTo("acme");
  }

  @Test
  void anEvalMarkWithdrawsTheTurnFromATrainingKindButAThumbsDownOnlyFromSft() throws Exception {
    List<Withdrawal> out = withdrawals(DatasetKind.UNPAIRED, turn, thumbsDown, evalMark);

    assertThat(out)
        .extracting(Withdrawal::exampleId, Withdrawal::withdrawnBy, Withdrawal::reason)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                turn.eventId().toString(), evalMark.eventId().toString(), Withdrawal.EVAL_EXAMPLE));
  }

  @Test
  void theEvalDatasetIsNeverWithdrawnFrom() throws Exception {
    assertThat(withdrawals(DatasetKind.EVAL, thumbsDown, evalMark)).isEmpty();
  }

  private static List<Withdrawal> withdrawals(DatasetKind kind, Interaction... events)
      throws Exception {
    try (var harness =
        new OneInputStreamOperatorTestHarness<>(
            new StreamFlatMap<>(new WithdrawalFunction(kind)))) {
      harness.open();
      for (Interaction e : events) {
        harness.processElement(new LabeledInteraction(e, RuleLabeler.label(e), List.of()), 1L);
      }
      return harness.extractOutputValues();
    }
  }
}
