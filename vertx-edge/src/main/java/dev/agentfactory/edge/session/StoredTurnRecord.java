package dev.agentfactory.edge.session;

import dev.agentfactory.connectors.event.Interaction;
import java.util.Objects;
import java.util.UUID;

/**
 * A turn read back from the {@link TurnStore}: its event as it was recorded, which feedback on a
 * session that ended (or lives on another node) amends.
 */
public record StoredTurnRecord(Interaction event) implements SessionRecord {

  public StoredTurnRecord {
    Objects.requireNonNull(event, "event");
    if (event.isAmendment()) {
      throw new IllegalArgumentException("a stored turn is a turn's own event, not an amendment");
    }
  }

  @Override
  public String tenant() {
    return event.tenant();
  }

  @Override
  public String sessionId() {
    return event.sessionId();
  }

  @Override
  public UUID eventId() {
    return event.eventId();
  }
}
