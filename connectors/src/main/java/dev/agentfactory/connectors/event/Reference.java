package dev.agentfactory.connectors.event;

import java.util.Optional;

/**
 * The known right answer of a turn's task ({@code reference} in the event): what reinforcement
 * fine-tuning rewards against and what an evaluation compares with.
 *
 * <pre>{@code
 * new Reference("42", Optional.of("numeric"), Optional.empty(), false); // an rft task
 * new Reference("Paris", Optional.of("exact_match"), Optional.of("names the capital"), true); // eval
 * }</pre>
 *
 * @param answer {@code reference.answer}: the ground truth or expected output, not blank
 * @param verifier {@code reference.verifier}: how to check a response against it, free text such as
 *     {@code exact_match}, {@code numeric} or {@code exit_code}; empty if unspecified
 * @param rubric {@code reference.rubric}: grading instructions for a judge; empty if none
 * @param eval {@code reference.eval}: the turn is an evaluation example; it then goes only to the
 *     {@code eval} dataset, never to a training dataset
 */
public record Reference(
    String answer, Optional<String> verifier, Optional<String> rubric, boolean eval) {

  public Reference {
    Checks.notBlank("reference.answer", answer);
    Checks.notNull("reference.verifier", verifier);
    Checks.notNull("reference.rubric", rubric);
  }

  /** A training task with a ground truth. */
  public static Reference groundTruth(String answer, String verifier) {
    return new Reference(answer, Optional.ofNullable(verifier), Optional.empty(), false);
  }

  /** An evaluation example. */
  public static Reference evalExample(String expected, String rubric) {
    return new Reference(expected, Optional.empty(), Optional.ofNullable(rubric), true);
  }
}
