package dev.agentfactory.connectors.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Rating;
import dev.agentfactory.connectors.event.Reference;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class WithdrawalTest {

  private static final Interaction TURN =
      Interaction.sandboxCommand(
          "acme", "sess-1", 3, "shell-agent", "1.0.0", "ls", "a\n", 0, Duration.ofMillis(5));
  private static final UUID AMENDING = UUID.randomUUID();

  @Test
  void aLaterThumbsDownWithdrawsTheTurnsRow() {
    Withdrawal w =
        Withdrawal.of(TURN.amendedWith(AMENDING, Feedback.rated(Rating.DOWN), null)).orElseThrow();
    assertThat(w.exampleId()).isEqualTo(TURN.eventId().toString());
    assertThat(w.withdrawnBy()).isEqualTo(AMENDING.toString());
    assertThat(w.reason()).isEqualTo(Withdrawal.RATED_DOWN);
    assertThat(w.sessionId()).isEqualTo("sess-1");
    assertThat(w.toRecord().get("example_id")).isEqualTo(TURN.eventId().toString());
  }

  @Test
  void aLaterEvalReferenceWithdrawsTheTurnsRow() {
    assertThat(
            Withdrawal.of(TURN.amendedWith(AMENDING, null, Reference.evalExample("a", null)))
                .map(Withdrawal::reason))
        .contains(Withdrawal.EVAL_EXAMPLE);
  }

  @Test
  void theTwinOfAnEvalExampleIsWithdrawnByTheMarkInTheSeenEventsSession() {
    Interaction mark = TURN.amendedWith(AMENDING, null, Reference.evalExample("a", null));
    Withdrawal w = Withdrawal.evalDuplicate("kept-turn", AMENDING.toString(), mark);
    assertThat(w.exampleId()).isEqualTo("kept-turn");
    assertThat(w.withdrawnBy()).isEqualTo(AMENDING.toString());
    assertThat(w.reason()).isEqualTo(Withdrawal.EVAL_DUPLICATE).isEqualTo("eval_duplicate");
    assertThat(w.sessionId()).isEqualTo("sess-1");
    assertThat(w.tenant()).isEqualTo("acme");
    assertThat(w.createdAt()).isEqualTo(TURN.createdAt());
  }

  @Test
  void thumbsUpATrainingReferenceAndTheTurnItselfWithdrawNothing() {
    assertThat(Withdrawal.of(TURN.amendedWith(AMENDING, Feedback.rated(Rating.UP), null)))
        .isEmpty();
    assertThat(
            Withdrawal.of(
                TURN.amendedWith(AMENDING, null, Reference.groundTruth("a", "exact_match"))))
        .isEmpty();
    assertThat(Withdrawal.of(TURN)).isEmpty();
  }

  @Test
  void anEvalMarkWithdrawsTheTurnFromEveryTrainingKindButNotFromEval() {
    Interaction eval = TURN.amendedWith(AMENDING, null, Reference.evalExample("a", null));
    for (DatasetKind kind :
        List.of(DatasetKind.SFT, DatasetKind.PREFERENCE, DatasetKind.UNPAIRED, DatasetKind.RFT)) {
      Withdrawal w = Withdrawal.of(kind, eval).orElseThrow();
      assertThat(w.exampleId()).as(kind.datasetName()).isEqualTo(TURN.eventId().toString());
      assertThat(w.reason()).isEqualTo(Withdrawal.EVAL_EXAMPLE);
    }
    assertThat(Withdrawal.of(DatasetKind.EVAL, eval)).isEmpty();
  }

  @Test
  void aTurnMarkedEvalInItsOwnEventWithdrawsTheRowsOfItsLaterAmendments() {
    Interaction turn =
        Interaction.builder()
            .tenant("acme")
            .sessionId("sess-2")
            .agent("helper", "1.0.0")
            .message(Message.user("q"))
            .message(Message.assistant("a"))
            .reference(Reference.evalExample("a", null))
            .build();
    Withdrawal w = Withdrawal.of(DatasetKind.UNPAIRED, turn).orElseThrow();
    assertThat(w.exampleId()).isEqualTo(turn.eventId().toString());
    // the rows of a later rating carry the turn's id in amends_event_id, which the cut matches
    UnpairedRow later =
        UnpairedRow.derive(turn.amendedWith(AMENDING, Feedback.rated(Rating.UP), null), "p")
            .orElseThrow();
    assertThat(later.provenance().amendsEventId()).isEqualTo(w.exampleId());
    assertThat(Withdrawal.of(DatasetKind.SFT, turn)).as("it never made an sft row").isEmpty();
  }

  @Test
  void aThumbsDownWithdrawsOnlyTheSftRow() {
    Interaction down = TURN.amendedWith(AMENDING, Feedback.rated(Rating.DOWN), null);
    assertThat(Withdrawal.of(DatasetKind.SFT, down)).isPresent();
    assertThat(Withdrawal.of(DatasetKind.UNPAIRED, down)).isEmpty();
    assertThat(Withdrawal.of(DatasetKind.PREFERENCE, down)).isEmpty();
  }
}
