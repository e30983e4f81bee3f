package dev.agentfactory.connectors.event;

import java.util.List;
import java.util.Optional;

/**
 * What a person said about a turn ({@code feedback} in the event). The turn's own response is the
 * one the person kept; {@code rejected} is an alternative response to the same prompt that they
 * discarded, e.g. the answer before a "regenerate" they then accepted.
 *
 * <pre>{@code
 * new Feedback(Optional.of(Rating.UP), List.of(Message.assistant("the answer they did not keep")));
 * }</pre>
 *
 * @param rating {@code feedback.rating}: thumbs up or down on the turn's response; empty if none
 * @param rejected {@code feedback.rejected}: the discarded alternative, {@code assistant} and
 *     {@code tool} messages only; empty if there was no comparison
 * @param comment {@code feedback.comment}: what the person wrote about the response, free text
 *     (scrubbed like message contents); empty if none
 */
public record Feedback(Optional<Rating> rating, List<Message> rejected, Optional<String> comment) {

  public Feedback {
    Checks.notNull("feedback.rating", rating);
    Checks.notNull("feedback.comment", comment);
    comment.ifPresent(c -> Checks.notBlank("feedback.comment", c));
    rejected = List.copyOf(Checks.notNull("feedback.rejected", rejected));
    for (int i = 0; i < rejected.size(); i++) {
      Role role = rejected.get(i).role();
      if (role != Role.ASSISTANT && role != Role.TOOL) {
        throw new InvalidEventException(
            "feedback.rejected[" + i + "].role",
            "must be assistant or tool but was '" + role.json() + "'");
      }
    }
  }

  /** Feedback without a comment: the schema as it was before that optional field. */
  public Feedback(Optional<Rating> rating, List<Message> rejected) {
    this(rating, rejected, Optional.empty());
  }

  /** This feedback with a comment. */
  public Feedback withComment(String newComment) {
    return new Feedback(rating, rejected, Optional.ofNullable(newComment));
  }

  /** A thumbs up or down without a comparison. */
  public static Feedback rated(Rating rating) {
    return new Feedback(Optional.of(rating), List.of());
  }

  /** The turn's response was preferred over {@code rejected}. */
  public static Feedback preferredOver(List<Message> rejected) {
    return new Feedback(Optional.empty(), rejected);
  }

  /** Returns a copy whose rejected messages have other content (the scrubbers rewrite content). */
  Feedback withRejected(List<Message> newRejected) {
    return new Feedback(rating, newRejected, comment);
  }
}
