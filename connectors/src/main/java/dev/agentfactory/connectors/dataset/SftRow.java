package dev.agentfactory.connectors.dataset;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Rating;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One row of the {@code sft} dataset: a conversation in the Hugging Face TRL {@code messages}
 * format plus the {@link Provenance} columns.
 */
public record SftRow(Provenance provenance, List<SftMessage> messages) implements DatasetRow {

  public SftRow {
    Objects.requireNonNull(provenance, "provenance");
    messages = List.copyOf(messages);
  }

  @Override
  public DatasetKind kind() {
    return DatasetKind.SFT;
  }

  /**
   * The row for an (already scrubbed) interaction: its conversation, each tool call made by an
   * assistant message and answered by a {@code tool} message right after it (see {@link
   * Conversation#of(Interaction)}).
   */
  public static SftRow from(Interaction event, String scrubPolicy) {
    return new SftRow(Provenance.of(event, scrubPolicy), Conversation.of(event).messages());
  }

  /**
   * The row if the event belongs in the {@code sft} dataset: not an evaluation example (kept out of
   * training), not rated down and not a turn cut short (neither is behaviour to imitate).
   */
  public static Optional<SftRow> derive(Interaction event, String scrubPolicy) {
    boolean ratedDown =
        event.feedback().flatMap(f -> f.rating()).map(r -> r == Rating.DOWN).orElse(false);
    // An amendment repeats a turn whose original event already made its sft row.
    if (event.isEvalExample() || ratedDown || event.isAmendment() || !event.isCompleted()) {
      return Optional.empty();
    }
    return Optional.of(from(event, scrubPolicy));
  }
}
