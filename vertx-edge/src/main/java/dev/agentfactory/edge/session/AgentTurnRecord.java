package dev.agentfactory.edge.session;

import java.time.Instant;

/** One user message answered by the session's agent, with every model and tool call it took. */
public record AgentTurnRecord(
    String tenant,
    String sessionId,
    int turn,
    String agentName,
    String agentVersion,
    AgentLoop.Turn result,
    Instant startedAt)
    implements SessionRecord {

  @Override
  public java.util.UUID eventId() {
    return SessionRecord.turnEventId(sessionId, turn);
  }
}
