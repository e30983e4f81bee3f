package dev.agentfactory.edge.session;

/** Something a session did that the data plane records as one interaction event. */
public sealed interface SessionRecord permits ExecRecord, AgentTurnRecord {

  String tenant();

  String sessionId();
}
