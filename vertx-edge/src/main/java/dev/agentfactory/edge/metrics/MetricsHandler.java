package dev.agentfactory.edge.metrics;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /metrics}: the Prometheus text format. */
public final class MetricsHandler implements Handler<RoutingContext> {

  private final EdgeMetrics metrics;

  public MetricsHandler(EdgeMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void handle(RoutingContext ctx) {
    ctx.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .end(metrics.scrape());
  }
}
