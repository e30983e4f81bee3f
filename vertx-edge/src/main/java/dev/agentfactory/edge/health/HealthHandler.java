package dev.agentfactory.edge.health;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * {@code GET /health}: 200 with every component's state once all are up (or {@code DEGRADED}, or
 * {@code OFF}: {@link ComponentStatus#isHealthy()}), 503 naming the components that are not.
 */
public final class HealthHandler implements Handler<RoutingContext> {

  private final NodeHealth health;
  private final ObjectMapper mapper = new ObjectMapper();

  public HealthHandler(NodeHealth health) {
    this.health = health;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Map<String, ComponentStatus> snapshot = health.snapshot();
    boolean up = health.allUp();
    ObjectNode body = mapper.createObjectNode();
    body.put("status", up ? "UP" : "DOWN");
    ObjectNode components = body.putObject("components");
    snapshot.forEach(
        (name, status) -> {
          ObjectNode c = components.putObject(name);
          c.put("status", status.state().name());
          c.set("detail", mapper.valueToTree(status.detail()));
        });
    if (!up) {
      body.putArray("failing")
          .addAll(
              snapshot.entrySet().stream()
                  .filter(e -> !e.getValue().isHealthy())
                  .map(e -> body.textNode(e.getKey()))
                  .toList());
    }
    String json;
    try {
      json = mapper.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      ctx.fail(e);
      return;
    }
    ctx.response()
        .setStatusCode(up ? 200 : 503)
        .putHeader("content-type", "application/json")
        .end(json);
  }
}
