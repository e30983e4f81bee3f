package dev.agentfactory.edge.session;

import io.vertx.core.Future;

/** Sends what a session did to the data plane. */
public interface InteractionRecorder {

  /** Completes once the event is durably accepted (e.g. acknowledged by Kafka). */
  Future<Void> record(SessionRecord record);

  /**
   * Records a turn (a command or an agent answer) that request {@code turnId} started; feedback
   * names it by that id. By default the same as {@link #record}.
   */
  default Future<Void> recordTurn(String turnId, SessionRecord record) {
    return record(record);
  }

  /**
   * Whether the data plane is behind: so many events wait for it that sessions should refuse new
   * work ({@code recording_backlog}) rather than produce events it may have to refuse. From any
   * thread.
   */
  default boolean backlogged() {
    return false;
  }
}
