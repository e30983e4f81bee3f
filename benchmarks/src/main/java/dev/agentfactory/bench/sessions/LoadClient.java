package dev.agentfactory.bench.sessions;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The load generator of {@code bench sessions}: real WebSocket connections from a Vert.x client
 * spread over several event loops. Sessions are either idle (opened, then left alone) or active (a
 * closed loop: send a message, read every frame of the answer, send the next one).
 */
final class LoadClient implements AutoCloseable {

  /** What ends one round trip of an active session. */
  interface TurnEnd {
    boolean test(String frame, int framesSoFar);
  }

  private final Vertx vertx;
  private final WebSocketClient client;
  private final List<Context> loops = new CopyOnWriteArrayList<>();
  private final List<WebSocket> sockets = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger nextLoop = new AtomicInteger();

  final LongAdder frames = new LongAdder();
  final LongAdder turns = new LongAdder();
  final LongAdder errors = new LongAdder();
  final Recorder firstFrameMicros = new Recorder(3);
  final Recorder turnMicros = new Recorder(3);
  private volatile boolean running = true;

  LoadClient(int eventLoops) throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops));
    client =
        vertx.createWebSocketClient(
            new WebSocketClientOptions()
                .setMaxConnections(1_000_000)
                .setConnectTimeout(120_000)
                .setMaxMessageSize(1 << 20));
    vertx
        .deployVerticle(
            () ->
                new VerticleBase() {
                  @Override
                  public Future<?> start() {
                    loops.add(context);
                    return Future.succeededFuture();
                  }
                },
            new DeploymentOptions().setInstances(eventLoops))
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  /** Result of opening many sessions. */
  record Opened(List<WebSocket> sockets, int failed, String firstError, long millis) {}

  /**
   * Opens {@code count} connections to {@code uri}, at most {@code window} in flight; each counts
   * as open when its first frame arrives if {@code awaitFirstFrame}, else when the upgrade
   * succeeds.
   */
  Opened open(int port, String uri, int count, int window, boolean awaitFirstFrame)
      throws InterruptedException {
    Semaphore inFlight = new Semaphore(window);
    List<WebSocket> opened = Collections.synchronizedList(new ArrayList<>(count));
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<String> firstError = new AtomicReference<>();
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      inFlight.acquire();
      connect(port, uri, awaitFirstFrame)
          .whenComplete(
              (ws, e) -> {
                if (e != null) {
                  failed.incrementAndGet();
                  firstError.compareAndSet(null, String.valueOf(e));
                } else {
                  opened.add(ws);
                  sockets.add(ws);
                }
                inFlight.release();
              });
    }
    inFlight.acquire(window);
    inFlight.release(window);
    return new Opened(
        List.copyOf(opened),
        failed.get(),
        firstError.get(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  private CompletableFuture<WebSocket> connect(int port, String uri, boolean awaitFirstFrame) {
    CompletableFuture<WebSocket> done = new CompletableFuture<>();
    Context loop = loops.get(Math.floorMod(nextLoop.getAndIncrement(), loops.size()));
    loop.runOnContext(
        v ->
            client
                .connect(
                    new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri))
                .onFailure(done::completeExceptionally)
                .onSuccess(
                    ws -> {
                      if (!awaitFirstFrame) {
                        done.complete(ws);
                        return;
                      }
                      ws.closeHandler(
                          c ->
                              done.completeExceptionally(
                                  new IllegalStateException(
                                      "closed before its first frame: " + ws.closeStatusCode())));
                      ws.textMessageHandler(
                          text -> {
                            ws.textMessageHandler(null);
                            ws.closeHandler(null);
                            done.complete(ws);
                          });
                    }));
    return done;
  }

  /** Starts the closed loop on {@code ws}: {@code message} out, frames in until {@code end}. */
  void drive(WebSocket ws, String message, TurnEnd end) {
    long[] sentAt = new long[1];
    int[] got = new int[1];
    ws.textMessageHandler(
        text -> {
          long now = System.nanoTime();
          frames.increment();
          if (got[0]++ == 0) {
            firstFrameMicros.recordValue((now - sentAt[0]) / 1000);
          }
          if (text.startsWith("{\"v\":1,\"type\":\"error\"")) {
            errors.increment();
          }
          if (end.test(text, got[0])) {
            turnMicros.recordValue((now - sentAt[0]) / 1000);
            turns.increment();
            got[0] = 0;
            if (running) {
              sentAt[0] = System.nanoTime();
              ws.writeTextMessage(message);
            }
          }
        });
    // Start on the socket's own event loop.
    vertx.runOnContext(
        v -> {
          sentAt[0] = System.nanoTime();
          ws.writeTextMessage(message);
        });
  }

  /** Counters and histograms start again from zero (the end of a warm-up). */
  void reset() {
    frames.reset();
    turns.reset();
    errors.reset();
    firstFrameMicros.reset();
    turnMicros.reset();
  }

  Histogram firstFrames() {
    return firstFrameMicros.getIntervalHistogram();
  }

  Histogram turnLatencies() {
    return turnMicros.getIntervalHistogram();
  }

  /** Active sessions send no further message; answers in flight still arrive. */
  void stopDriving() {
    running = false;
  }

  @Override
  public void close() throws Exception {
    running = false;
    List<WebSocket> all;
    synchronized (sockets) {
      all = List.copyOf(sockets);
      sockets.clear();
    }
    for (WebSocket ws : all) {
      ws.close();
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
