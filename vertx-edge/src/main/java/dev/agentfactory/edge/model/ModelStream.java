package dev.agentfactory.edge.model;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.streams.ReadStream;

/**
 * A model's answer as it streams, with back-pressure: {@link #pause()} (or {@link #fetch} demand)
 * stops delivery, and once a small buffer fills the provider stops reading from the network, so a
 * slow client slows the model connection instead of growing memory.
 *
 * <p>Nothing is requested until a handler is set. Events arrive on the Vert.x context that called
 * {@link ModelProvider#stream}. The stream ends with the {@code endHandler} after a {@link
 * ModelEvent.Completed}, or with the {@code exceptionHandler} receiving a {@link ModelException};
 * {@link #result()} completes or fails right after that.
 *
 * <pre>{@code
 * ModelStream stream = provider.stream(request);
 * stream.handler(event -> {
 *   if (event instanceof ModelEvent.TextDelta d && !client.send(d.text())) {
 *     stream.pause(); // client.onDrain(stream::resume)
 *   }
 * });
 * stream.result().onSuccess(response -> runTools(response.toolCalls()));
 * }</pre>
 */
public interface ModelStream extends ReadStream<ModelEvent> {

  /** Completes with the whole response after the last event was delivered, or fails. */
  Future<ModelResponse> result();

  /**
   * For callers that want only the final response: starts the stream with a handler that ignores
   * events (unless a handler is already set) and returns {@link #result()}.
   */
  Future<ModelResponse> response();

  /**
   * Stops the call (the HTTP request is reset); the stream fails with {@link
   * ModelErrorCode#CANCELLED} unless it had already ended.
   */
  void cancel();

  @Override
  ModelStream handler(Handler<ModelEvent> handler);

  @Override
  ModelStream exceptionHandler(Handler<Throwable> handler);

  @Override
  ModelStream endHandler(Handler<Void> handler);

  @Override
  ModelStream pause();

  @Override
  ModelStream resume();

  @Override
  ModelStream fetch(long amount);
}
