package dev.agentfactory.edge.session;

import dev.agentfactory.connectors.event.Interaction;
import io.vertx.core.Future;

/**
 * The recorded turns of sessions, kept after the session ends and shared by the nodes of a cluster,
 * so that feedback can amend a turn of a session that ended or lives on another node ({@code POST
 * /v1/sessions/{id}/feedback}, docs/protocol.md). Holds each turn's interaction event as it went to
 * Kafka, for a retention period.
 */
public interface TurnStore {

  /** Keeps {@code event}, the recorded event of the turn that request {@code turnId} started. */
  Future<Void> put(String turnId, Interaction event);

  /** The turn's event, or why there is none. Another tenant's session is an unknown session. */
  Future<Lookup> find(String tenant, String sessionId, String turnId);

  Future<Void> close();

  /** What a lookup found. */
  sealed interface Lookup {
    record Found(Interaction event) implements Lookup {}

    /** The tenant has no turn of that session in the store. */
    record UnknownSession() implements Lookup {}

    /** The session is known, the turn is not. */
    record UnknownTurn() implements Lookup {}
  }

  /** A store that keeps nothing: every session is unknown once it is not live on this node. */
  TurnStore NONE =
      new TurnStore() {
        @Override
        public Future<Void> put(String turnId, Interaction event) {
          return Future.succeededFuture();
        }

        @Override
        public Future<Lookup> find(String tenant, String sessionId, String turnId) {
          return Future.succeededFuture(new Lookup.UnknownSession());
        }

        @Override
        public Future<Void> close() {
          return Future.succeededFuture();
        }
      };
}
