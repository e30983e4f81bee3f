package dev.agentfactory.edge.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The dashboard push of {@code /v1/eval/live/stream} against a socket whose write queue the test
 * fills and drains; no network.
 */
class EvalHandlerTest {

  private static final Clock EPOCH = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);

  private final Vertx vertx = Vertx.vertx();
  private final Context context = vertx.getOrCreateContext();
  private final LiveEvalBoard board = new LiveEvalBoard(EPOCH, LiveEvalBoard.DEFAULT_RETENTION);
  private final FakeSocket socket = new FakeSocket();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void windowsThatCameWhileTheWriteQueueWasFullAreSentNewestPerSeriesOnceItDrains()
      throws Exception {
    board.update(metric("v1", 500));
    onContext(() -> new EvalHandler(board).serve("acme", socket.proxy));
    assertThat(socket.written()).as("the snapshot").containsExactly("v1@500");

    socket.full = true;
    board.update(metric("v1", 1_000));
    board.update(metric("v1", 2_000));
    board.update(metric("v2", 1_000));
    onContext(() -> {}); // whatever the watcher handed to the socket's context has run
    assertThat(socket.written()).as("nothing more while the queue is full").hasSize(1);

    socket.full = false;
    assertThat(socket.drain).as("a drain handler on the socket").isNotNull();
    onContext(() -> socket.drain.handle(null));
    // without holding them, the last windows of an agent version that then goes quiet were
    // never sent: the dashboard kept an older window until a newer one came
    assertThat(socket.written()).containsExactly("v1@500", "v1@2000", "v2@1000");

    board.update(metric("v1", 3_000));
    onContext(() -> {});
    assertThat(socket.written()).endsWith("v1@3000");
  }

  private void onContext(Runnable action) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(
        v -> {
          try {
            action.run();
            done.complete(null);
          } catch (RuntimeException e) {
            done.completeExceptionally(e);
          }
        });
    done.get(10, TimeUnit.SECONDS);
  }

  private static LiveMetric metric(String version, long windowEnd) {
    return LiveMetric.parse(
        new JsonObject()
            .put("tenant", "acme")
            .put("agent", "helper")
            .put("agent_version", version)
            .put("window_end_ms", windowEnd)
            .put("turns", 1)
            .encode());
  }

  /** The few calls the handler makes on a server WebSocket; the write queue is the test's. */
  private static final class FakeSocket {
    private final List<String> messages = new CopyOnWriteArrayList<>();
    volatile boolean full;
    volatile Handler<Void> drain;
    final ServerWebSocket proxy;

    @SuppressWarnings("unchecked")
    FakeSocket() {
      proxy =
          (ServerWebSocket)
              Proxy.newProxyInstance(
                  ServerWebSocket.class.getClassLoader(),
                  new Class<?>[] {ServerWebSocket.class},
                  (self, method, args) ->
                      switch (method.getName()) {
                        case "writeTextMessage" -> {
                          messages.add((String) args[0]);
                          yield Future.succeededFuture();
                        }
                        case "writeQueueFull" -> full;
                        case "drainHandler" -> {
                          drain = (Handler<Void>) args[0];
                          yield self;
                        }
                        case "closeHandler",
                            "exceptionHandler",
                            "textMessageHandler",
                            "binaryMessageHandler" ->
                            self;
                        default -> throw new UnsupportedOperationException(method.getName());
                      });
    }

    /** {@code <version>@<window_end_ms>} of each message written, in order. */
    List<String> written() {
      return messages.stream()
          .map(JsonObject::new)
          .map(m -> m.getString("agent_version") + "@" + m.getLong("window_end_ms"))
          .toList();
    }
  }
}
