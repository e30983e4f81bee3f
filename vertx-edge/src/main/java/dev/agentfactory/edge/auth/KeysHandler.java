package dev.agentfactory.edge.auth;

import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.api.PageRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.ValidatedRequest;

/** {@code /v1/keys}: create, list and revoke API keys, with the admin key only. */
public final class KeysHandler {

  private final Auth auth;

  public KeysHandler(Auth auth) {
    this.auth = auth;
  }

  public void create(RoutingContext ctx) {
    Auth.requireAdmin(
        ctx,
        () -> {
          ValidatedRequest request = ctx.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
          JsonObject body = request.getBody().getJsonObject();
          if (Auth.ADMIN_TENANT.equals(body.getString("tenant"))) {
            ApiErrors.send(
                ctx,
                400,
                "invalid_field",
                "tenant: '"
                    + Auth.ADMIN_TENANT
                    + "' is the admin key's own tenant; a key for it would reach the admin's"
                    + " sessions and agents",
                "tenant");
            return;
          }
          auth.create(body.getString("tenant"), body.getString("name"))
              .onSuccess(
                  created ->
                      ctx.response()
                          .setStatusCode(201)
                          .putHeader("content-type", "application/json")
                          .end(json(created.key()).put("key", created.secret()).encode()))
              .onFailure(ctx::fail);
        });
  }

  /** A page of the keys in creation order ({@link PageRequest}: {@code limit}, {@code cursor}). */
  public void list(RoutingContext ctx) {
    Auth.requireAdmin(
        ctx,
        () -> {
          PageRequest page = PageRequest.parse(ctx, "keys", id -> true);
          if (page == null) {
            return;
          }
          auth.list(page.after(), page.limit() + 1)
              .onSuccess(
                  keys -> {
                    if (keys.isEmpty()) {
                      ApiErrors.send(
                          ctx,
                          400,
                          "invalid_field",
                          "cursor: names no key; pass the next_cursor of the page before",
                          "cursor");
                      return;
                    }
                    ctx.response()
                        .putHeader("content-type", "application/json")
                        .end(
                            page.answer(keys.get(), "keys", ApiKey::id, KeysHandler::json)
                                .encode());
                  })
              .onFailure(ctx::fail);
        });
  }

  public void revoke(RoutingContext ctx) {
    Auth.requireAdmin(
        ctx,
        () -> {
          String id = ctx.pathParam("id");
          auth.revoke(id)
              .onSuccess(
                  found -> {
                    if (found) {
                      ctx.response().setStatusCode(204).end();
                    } else {
                      ApiErrors.send(ctx, 404, "not_found", "no API key " + id, "id");
                    }
                  })
              .onFailure(ctx::fail);
        });
  }

  private static JsonObject json(ApiKey key) {
    return new JsonObject()
        .put("id", key.id())
        .put("tenant", key.tenant())
        .put("name", key.name())
        .put("created_at", key.createdAt().toString())
        .put("revoked_at", key.revokedAt().map(Object::toString).orElse(null));
  }
}
