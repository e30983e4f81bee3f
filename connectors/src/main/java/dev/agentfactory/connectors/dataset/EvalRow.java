package dev.agentfactory.connectors.dataset;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Reference;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One row of the {@code eval} dataset: an input conversation, the expected output and the rubric a
 * judge grades with.
 *
 * @param rubric grading instructions; null if none
 */
public record EvalRow(Provenance provenance, List<SftMessage> input, String expected, String rubric)
    implements DatasetRow {

  public EvalRow {
    Objects.requireNonNull(provenance, "provenance");
    input = List.copyOf(input);
    Objects.requireNonNull(expected, "expected");
  }

  @Override
  public DatasetKind kind() {
    return DatasetKind.EVAL;
  }

  /** The row if the event is marked as an evaluation example and has a user message. */
  public static Optional<EvalRow> derive(Interaction event, String scrubPolicy) {
    Optional<Reference> reference = event.reference().filter(Reference::eval);
    if (reference.isEmpty()) {
      return Optional.empty();
    }
    Reference r = reference.get();
    return Conversation.of(event)
        .prompt()
        .map(
            p ->
                new EvalRow(
                    Provenance.of(event, scrubPolicy), p, r.answer(), r.rubric().orElse(null)));
  }
}
