package dev.agentfactory.edge.session;

import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records through {@code delegate} and, once a turn's event is on Kafka, keeps it in the {@link
 * TurnStore} for feedback that comes after the session or from another node. A turn the store
 * missed is still recorded (the store is for later feedback, not for the data plane) and still
 * amendable on its live session.
 */
public final class TurnStoreRecorder implements InteractionRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(TurnStoreRecorder.class);

  private final InteractionRecorder delegate;
  private final TurnStore store;

  public TurnStoreRecorder(InteractionRecorder delegate, TurnStore store) {
    this.delegate = delegate;
    this.store = store;
  }

  @Override
  public Future<Void> record(SessionRecord record) {
    return delegate.record(record);
  }

  @Override
  public boolean backlogged() {
    return delegate.backlogged();
  }

  @Override
  public Future<Void> recordTurn(String turnId, SessionRecord record) {
    return delegate
        .recordTurn(turnId, record)
        .onSuccess(
            v ->
                store
                    .put(turnId, KafkaInteractionRecorder.toEvent(record))
                    .onFailure(
                        e ->
                            LOG.warn(
                                "session {}: turn {} not kept for later feedback",
                                record.sessionId(),
                                turnId,
                                e)));
  }
}
