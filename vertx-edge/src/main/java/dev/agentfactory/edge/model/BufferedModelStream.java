package dev.agentfactory.edge.model;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;

/**
 * The {@link ModelStream} both providers hand out. A provider pushes events with {@link #emit};
 * they are delivered to the consumer as its demand allows. When {@value #HIGH_WATER} events are
 * waiting the provider's {@link Upstream} is paused (for HTTP: the response stops being read, so
 * TCP flow control reaches the model server) and resumed once the buffer is down to {@value
 * #LOW_WATER}.
 *
 * <p>Confined to one context: consumer calls from other threads hop onto it.
 */
final class BufferedModelStream implements ModelStream {

  static final int HIGH_WATER = 64;
  static final int LOW_WATER = 16;

  /** The source of events: started once, paused and resumed for back-pressure, cancelled. */
  interface Upstream {
    void pause();

    void resume();

    void cancel();
  }

  private final Context context;
  private final Handler<BufferedModelStream> starter;
  private final Promise<ModelResponse> result = Promise.promise();
  private final ArrayDeque<ModelEvent> queue = new ArrayDeque<>();

  private Handler<ModelEvent> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private long demand = Long.MAX_VALUE;
  private boolean started;
  private boolean delivering;
  private boolean emittedAny;
  private Upstream upstream;
  private boolean upstreamPaused;
  private ModelResponse completed;
  private ModelException failed;
  private boolean terminated;

  BufferedModelStream(Context context, Handler<BufferedModelStream> starter) {
    this.context = context;
    this.starter = starter;
  }

  // ---- provider side (on the context) ----

  /** Sets the current source; a retry replaces the source of the failed attempt. */
  void upstream(Upstream upstream) {
    if (ended()) {
      // cancelled while this attempt's request was being made (connecting): its request must not
      // go on to reach the model, the consumer is gone
      upstream.cancel();
      return;
    }
    this.upstream = upstream;
    this.upstreamPaused = false;
    if (queue.size() >= HIGH_WATER) {
      pauseUpstream();
    }
  }

  /** True once any event was emitted: from then on a failed call must not be retried. */
  boolean emittedAny() {
    return emittedAny;
  }

  boolean ended() {
    return completed != null || failed != null;
  }

  /** How many events wait for the consumer (tests). */
  int buffered() {
    return queue.size();
  }

  void emit(ModelEvent event) {
    if (ended()) {
      return;
    }
    emittedAny = true;
    queue.add(event);
    deliver();
    if (queue.size() >= HIGH_WATER) {
      pauseUpstream();
    }
  }

  void complete(ModelResponse response) {
    if (ended()) {
      return;
    }
    emit(new ModelEvent.Completed(response));
    completed = response;
    deliver();
  }

  void fail(ModelException error) {
    if (ended()) {
      return;
    }
    failed = error;
    deliver();
  }

  // ---- consumer side ----

  @Override
  public Future<ModelResponse> result() {
    return result.future();
  }

  @Override
  public Future<ModelResponse> response() {
    onContext(
        () -> {
          if (handler == null) {
            handler = event -> {};
          }
          start();
        });
    return result.future();
  }

  @Override
  public void cancel() {
    onContext(
        () -> {
          if (ended()) {
            return;
          }
          queue.clear();
          fail(ModelException.of(ModelErrorCode.CANCELLED, "the model call was cancelled"));
          if (upstream != null) {
            upstream.cancel();
          }
        });
  }

  @Override
  public ModelStream handler(Handler<ModelEvent> handler) {
    onContext(
        () -> {
          this.handler = handler;
          if (handler != null) {
            start();
          }
        });
    return this;
  }

  @Override
  public ModelStream exceptionHandler(Handler<Throwable> handler) {
    onContext(() -> this.exceptionHandler = handler);
    return this;
  }

  @Override
  public ModelStream endHandler(Handler<Void> handler) {
    onContext(() -> this.endHandler = handler);
    return this;
  }

  @Override
  public ModelStream pause() {
    onContext(() -> demand = 0);
    return this;
  }

  @Override
  public ModelStream resume() {
    onContext(
        () -> {
          demand = Long.MAX_VALUE;
          deliver();
        });
    return this;
  }

  @Override
  public ModelStream fetch(long amount) {
    if (amount < 0) {
      throw new IllegalArgumentException("fetch amount must not be negative");
    }
    onContext(
        () -> {
          demand += amount;
          if (demand < 0) {
            demand = Long.MAX_VALUE;
          }
          deliver();
        });
    return this;
  }

  // ---- delivery ----

  private void start() {
    if (!started) {
      started = true;
      starter.handle(this);
    }
    deliver();
  }

  private void deliver() {
    if (delivering || !started) {
      return;
    }
    delivering = true;
    try {
      while (handler != null && demand > 0 && !queue.isEmpty()) {
        if (demand != Long.MAX_VALUE) {
          demand--;
        }
        handler.handle(queue.poll());
      }
      if (queue.isEmpty() && ended() && !terminated) {
        terminate();
      } else if (upstreamPaused && queue.size() <= LOW_WATER && !ended()) {
        upstreamPaused = false;
        upstream.resume();
      }
    } finally {
      delivering = false;
    }
  }

  private void terminate() {
    terminated = true;
    if (failed != null) {
      if (exceptionHandler != null) {
        exceptionHandler.handle(failed);
      }
      result.fail(failed);
    } else {
      if (endHandler != null) {
        endHandler.handle(null);
      }
      result.complete(completed);
    }
  }

  private void pauseUpstream() {
    if (upstream != null && !upstreamPaused && !ended()) {
      upstreamPaused = true;
      upstream.pause();
    }
  }

  private void onContext(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }
}
