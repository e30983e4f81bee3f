package dev.agentfactory.edge.session;

import java.time.Instant;
import java.util.List;

/**
 * What one command in a session did, as the data plane records it. Not the id the client gave its
 * {@code exec} frame: that is free text no scrubber reads ({@link
 * KafkaInteractionRecorder#execCallId}).
 *
 * @param output stdout and stderr as the client saw them, capped
 * @param status exited, timeout, killed or cancelled
 * @param exitCode as the sandbox reported it; null for a command a cancel frame stopped, whose exit
 *     the session does not wait for
 */
public record ExecRecord(
    String tenant,
    String sessionId,
    int turn,
    List<String> argv,
    String output,
    String status,
    Integer exitCode,
    long durationMs,
    Instant startedAt)
    implements SessionRecord {

  public ExecRecord {
    argv = List.copyOf(argv);
  }

  @Override
  public java.util.UUID eventId() {
    return SessionRecord.turnEventId(sessionId, turn);
  }
}
