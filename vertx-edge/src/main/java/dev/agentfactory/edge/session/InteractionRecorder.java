package dev.agentfactory.edge.session;

import io.vertx.core.Future;

/** Sends what a session did to the data plane. */
public interface InteractionRecorder {

  /** Completes once the event is durably accepted (e.g. acknowledged by Kafka). */
  Future<Void> record(SessionRecord record);
}
