package dev.agentfactory.edge.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Refuses a request whose query gives a parameter twice ({@code ?limit=1&limit=x}, {@code
 * ?access_token=KEY&access_token=x}): the router, the contract's validator and the handlers read
 * one value each, the first, so a check in front of the node and the node itself could act on
 * different values, and an access token was accepted or not by its order. As a body field given
 * twice, it is 400 {@code invalid_field} naming the parameter, on every route and before
 * authentication, validation or a WebSocket upgrade.
 *
 * <pre>{@code
 * builder.rootHandler(PercentEscapes.HANDLER);
 * builder.rootHandler(RepeatedParameters.HANDLER); // decodes the query: after the escape check
 * }</pre>
 */
final class RepeatedParameters {

  static final Handler<RoutingContext> HANDLER = RepeatedParameters::check;

  private RepeatedParameters() {}

  private static void check(RoutingContext ctx) {
    for (String name : ctx.queryParams().names()) {
      if (ctx.queryParams().getAll(name).size() > 1) {
        ctx.fail(400, new JsonContentType.RepeatedField(name));
        return;
      }
    }
    ctx.next();
  }
}
