package dev.agentfactory.connectors.dataset;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Rating;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One row of the {@code unpaired} dataset (TRL unpaired preference format, for KTO): a response and
 * whether it was desirable ({@code label}, from a thumbs up or down).
 */
public record UnpairedRow(
    Provenance provenance, List<SftMessage> prompt, List<SftMessage> completion, boolean label)
    implements DatasetRow {

  public UnpairedRow {
    Objects.requireNonNull(provenance, "provenance");
    prompt = List.copyOf(prompt);
    completion = List.copyOf(completion);
  }

  @Override
  public DatasetKind kind() {
    return DatasetKind.UNPAIRED;
  }

  /**
   * The row if the event is rated, has a user message and a response after it, and is not an
   * evaluation example. A turn cut short is only ever a negative example: rated up, it has none.
   */
  public static Optional<UnpairedRow> derive(Interaction event, String scrubPolicy) {
    Optional<Rating> rating = event.feedback().flatMap(f -> f.rating());
    if (rating.isEmpty()
        || event.isEvalExample()
        || (!event.isCompleted() && rating.get() == Rating.UP)) {
      return Optional.empty();
    }
    return Conversation.of(event)
        .split()
        .map(
            s ->
                new UnpairedRow(
                    Provenance.of(event, scrubPolicy),
                    s.prompt(),
                    s.completion(),
                    rating.get() == Rating.UP));
  }
}
