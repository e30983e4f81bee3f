package dev.agentfactory.connectors.dataset;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Reference;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One row of the {@code rft} dataset (TRL prompt-only format with extra columns, which GRPO passes
 * to reward functions): a prompt and the reference its completions are rewarded against.
 *
 * @param verifier how to check a completion against {@code groundTruth}; null if unspecified
 */
public record RftRow(
    Provenance provenance, List<SftMessage> prompt, String groundTruth, String verifier)
    implements DatasetRow {

  public RftRow {
    Objects.requireNonNull(provenance, "provenance");
    prompt = List.copyOf(prompt);
    Objects.requireNonNull(groundTruth, "ground_truth");
  }

  @Override
  public DatasetKind kind() {
    return DatasetKind.RFT;
  }

  /** The row if the event has a reference, is not an evaluation example and has a user message. */
  public static Optional<RftRow> derive(Interaction event, String scrubPolicy) {
    Optional<Reference> reference = event.reference().filter(r -> !r.eval());
    if (reference.isEmpty()) {
      return Optional.empty();
    }
    Reference r = reference.get();
    return Conversation.of(event)
        .prompt()
        .map(
            p ->
                new RftRow(
                    Provenance.of(event, scrubPolicy), p, r.answer(), r.verifier().orElse(null)));
  }
}
