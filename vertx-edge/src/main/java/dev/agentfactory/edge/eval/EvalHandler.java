package dev.agentfactory.edge.eval;

import dev.agentfactory.edge.auth.ApiErrors;
import dev.agentfactory.edge.auth.Auth;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * {@code /v1/eval/live}: the latest live evaluation metrics of the caller's tenant, one per agent
 * version ({@link #live}), and the same pushed to dashboards over a WebSocket ({@link #stream}):
 * first the current snapshot, then every newer window as it arrives, one JSON document per text
 * message. A dashboard that cannot keep up misses intermediate windows, never the latest one for
 * long: each message replaces the previous one of its series.
 */
public final class EvalHandler {

  private final LiveEvalBoard board;

  public EvalHandler(LiveEvalBoard board) {
    this.board = board;
  }

  public void live(RoutingContext ctx) {
    JsonArray metrics = new JsonArray();
    for (LiveMetric m : board.snapshot(Auth.tenant(ctx))) {
      metrics.add(m.document());
    }
    ctx.response()
        .putHeader("content-type", "application/json")
        .end(new JsonObject().put("metrics", metrics).encode());
  }

  public void stream(RoutingContext ctx) {
    String tenant = Auth.tenant(ctx);
    if (ApiErrors.notAnUpgrade(ctx)) {
      return;
    }
    ctx.request().toWebSocket().onSuccess(socket -> serve(tenant, socket)).onFailure(ctx::fail);
  }

  private void serve(String tenant, ServerWebSocket socket) {
    List<LiveMetric> snapshot = board.snapshot(tenant);
    for (LiveMetric m : snapshot) {
      socket.writeTextMessage(m.document().encode());
    }
    Runnable stop =
        board.watch(
            tenant,
            m -> {
              // Skip a window rather than queue without bound; the next one supersedes it.
              if (!socket.writeQueueFull()) {
                socket.writeTextMessage(m.document().encode());
              }
            });
    socket.closeHandler(v -> stop.run());
    socket.exceptionHandler(e -> socket.close());
  }
}
