package dev.agentfactory.connectors.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Rating;
import dev.agentfactory.connectors.event.Reference;
import java.time.Duration;
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
  void thumbsUpATrainingReferenceAndTheTurnItselfWithdrawNothing() {
    assertThat(Withdrawal.of(TURN.amendedWith(AMENDING, Feedback.rated(Rating.UP), null)))
        .isEmpty();
    assertThat(
            Withdrawal.of(
                TURN.amendedWith(AMENDING, null, Reference.groundTruth("a", "exact_match"))))
        .isEmpty();
    assertThat(Withdrawal.of(TURN)).isEmpty();
  }
}
