package dev.agentfactory.edge.session;

import dev.agentfactory.connectors.event.TurnOutcome;
import java.time.Instant;

/**
 * One user message answered by the session's agent, with every model and tool call it took; or, for
 * a turn cut short ({@code outcome} other than completed), those it took before it stopped.
 */
public record AgentTurnRecord(
    String tenant,
    String sessionId,
    int turn,
    String agentName,
    String agentVersion,
    AgentLoop.Turn result,
    Instant startedAt,
    TurnOutcome outcome)
    implements SessionRecord {

  public AgentTurnRecord {
    java.util.Objects.requireNonNull(outcome, "outcome");
  }

  @Override
  public java.util.UUID eventId() {
    return SessionRecord.turnEventId(sessionId, turn);
  }
}
