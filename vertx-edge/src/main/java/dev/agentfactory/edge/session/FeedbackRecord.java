package dev.agentfactory.edge.session;

import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Reference;
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

  @Override
  public String tenant() {
    return turn.tenant();
  }

  @Override
  public String sessionId() {
    return turn.sessionId();
  }
}
