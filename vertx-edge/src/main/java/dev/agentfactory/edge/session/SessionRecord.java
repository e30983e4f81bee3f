package dev.agentfactory.edge.session;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** Something a session did that the data plane records as one interaction event. */
public sealed interface SessionRecord
    permits ExecRecord, AgentTurnRecord, FeedbackRecord, StoredTurnRecord {

  String tenant();

  String sessionId();

  /**
   * The {@code event_id} of the record's event. A turn's id is derived from the session id and the
   * turn number, so feedback that arrives later can name the event it amends.
   */
  UUID eventId();

  /**
   * The event id of turn {@code turn} (1-based, as sessions count) of session {@code sessionId}.
   */
  static UUID turnEventId(String sessionId, int turn) {
    return UUID.nameUUIDFromBytes(
        ("agent-factory/turn/" + sessionId + "/" + turn).getBytes(StandardCharsets.UTF_8));
  }
}
