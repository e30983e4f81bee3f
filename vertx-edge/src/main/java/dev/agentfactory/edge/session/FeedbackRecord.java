package dev.agentfactory.edge.session;

import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Reference;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;

/**
 * Feedback and/or a reference for an earlier turn of the session: recorded as an amending event,
 * the turn's event again with {@code feedback}/{@code reference} and {@code amends_event_id}.
 *
 * @param turn the recorded turn it is about
 * @param eventId the amending event's own id
 */
public record FeedbackRecord(
    SessionRecord turn, Optional<Feedback> feedback, Optional<Reference> reference, UUID eventId)
    implements SessionRecord {

  public FeedbackRecord {
    if (turn instanceof FeedbackRecord) {
      throw new IllegalArgumentException("feedback is about a turn, not about feedback");
    }
    if (feedback.isEmpty() && reference.isEmpty()) {
      throw new IllegalArgumentException("feedback or a reference is required");
    }
  }

  /**
   * The record of {@code feedback} and {@code reference} on {@code turn}. Its event id is derived
   * from the turn's event id and the feedback's content, so sending the same feedback again (a
   * retry) gives the same event, which the pipeline drops as a duplicate.
   */
  public static FeedbackRecord of(
      SessionRecord turn, Optional<Feedback> feedback, Optional<Reference> reference) {
    StringBuilder key = new StringBuilder("agent-factory/feedback/").append(turn.eventId());
    feedback.ifPresent(
        f -> {
          part(key, "rating", f.rating().map(r -> r.json()).orElse(""));
          f.rejected().forEach(m -> part(key, m.role().json(), m.content()));
          part(key, "comment", f.comment().orElse(""));
        });
    reference.ifPresent(
        r -> {
          part(key, "answer", r.answer());
          part(key, "verifier", r.verifier().orElse(""));
          part(key, "rubric", r.rubric().orElse(""));
          part(key, "eval", Boolean.toString(r.eval()));
        });
    UUID id = UUID.nameUUIDFromBytes(key.toString().getBytes(StandardCharsets.UTF_8));
    return new FeedbackRecord(turn, feedback, reference, id);
  }

  /** Length-prefixed, so no two different contents give the same key. */
  private static void part(StringBuilder key, String name, String value) {
    key.append('/').append(name).append(':').append(value.length()).append(':').append(value);
  }

  @Override
  public String tenant() {
    return turn.tenant();
  }

  @Override
  public String sessionId() {
    return turn.sessionId();
  }
}
