package dev.agentfactory.connectors.dataset;

import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Interaction;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One row of the {@code preference} dataset (TRL conversational preference format): the kept
 * response is {@code chosen}, the discarded alternative ({@code feedback.rejected}) is {@code
 * rejected}.
 */
public record PreferenceRow(
    Provenance provenance,
    List<SftMessage> prompt,
    List<SftMessage> chosen,
    List<SftMessage> rejected)
    implements DatasetRow {

  public PreferenceRow {
    Objects.requireNonNull(provenance, "provenance");
    prompt = List.copyOf(prompt);
    chosen = List.copyOf(chosen);
    rejected = List.copyOf(rejected);
  }

  @Override
  public DatasetKind kind() {
    return DatasetKind.PREFERENCE;
  }

  /**
   * The row if the event is a comparison: it has a rejected alternative, a user message and a
   * response after it, and is not an evaluation example; nor a turn cut short, whose response would
   * be the chosen one.
   */
  public static Optional<PreferenceRow> derive(Interaction event, String scrubPolicy) {
    List<SftMessage> rejected =
        event.feedback().map(Feedback::rejected).map(Conversation::of).orElse(List.of());
    if (rejected.isEmpty() || event.isEvalExample() || !event.isCompleted()) {
      return Optional.empty();
    }
    return Conversation.of(event)
        .split()
        .map(
            s ->
                new PreferenceRow(
                    Provenance.of(event, scrubPolicy), s.prompt(), s.completion(), rejected));
  }
}
