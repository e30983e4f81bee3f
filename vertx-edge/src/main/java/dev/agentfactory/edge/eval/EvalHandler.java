package dev.agentfactory.edge.eval;

import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.api.WebSocketProtocol;
import dev.agentfactory.edge.auth.Auth;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;

/**
 * {@code /v1/eval/live}: the latest live evaluation metrics of the caller's tenant, one per agent
 * version ({@link #live}), and the same pushed to dashboards over a WebSocket ({@link #stream}):
 * first the current snapshot, then every newer window as it arrives, one JSON document per text
 * message. A dashboard that cannot keep up misses intermediate windows, never the latest one: while
 * its write queue is full the newest window of each series is held and sent when it drains ({@link
 * DashboardPush}). Each message replaces the previous one of its series.
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

  /** Runs on the socket's context, as the upgrade's callback does. */
  void serve(String tenant, ServerWebSocket socket) {
    Context context = Objects.requireNonNull(Vertx.currentContext(), "not on the socket's context");
    DashboardPush push = new DashboardPush(socket);
    // Watch before the snapshot: a window that comes in between is sent, not lost until the next
    // one; the push drops what it has already sent.
    Runnable stop = board.watch(tenant, m -> context.runOnContext(v -> push.offer(m)));
    for (LiveMetric m : board.snapshot(tenant)) {
      push.offer(m);
    }
    socket.closeHandler(v -> stop.run());
    // a dashboard sends nothing; one that sends a message over the limit or a frame RFC 6455
    // forbids is closed as a session is
    WebSocketProtocol.ignoreMessages(socket, e -> socket.close());
  }
}
