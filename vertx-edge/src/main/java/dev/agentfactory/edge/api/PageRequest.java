package dev.agentfactory.edge.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A page of a listing, as asked by the query parameters {@code limit} (default {@value
 * #DEFAULT_LIMIT}, at most {@value #MAX_LIMIT}) and {@code cursor} (the {@code next_cursor} of the
 * page before; absent for the first page). A cursor is opaque to clients: the listing's name and
 * the sort key of the last item of the page before, so the next page starts after that item
 * whatever was added or removed meanwhile, without duplicates or gaps.
 *
 * <pre>{@code
 * PageRequest page = PageRequest.parse(ctx, "agents", AgentSpecCodec::validName);
 * if (page == null) return; // answered 400 invalid_field
 * store.agents(tenant, page.after(), page.limit() + 1)
 *     .map(found -> page.answer(found, "agents", a -> a.ref().name(), this::json));
 * }</pre>
 *
 * @param listing the listing the cursor belongs to: a cursor of another one is refused
 * @param after the sort key of the last item of the page before; empty for the first page
 */
public record PageRequest(String listing, int limit, Optional<String> after) {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1000;

  /**
   * The page {@code ctx} asks for; null after answering 400 {@code invalid_field} (field {@code
   * limit} or {@code cursor}) when it cannot be read, or its sort key fails {@code validKey}. The
   * contract bounds {@code limit} too; this holds however the handler is reached.
   */
  public static PageRequest parse(RoutingContext ctx, String listing, Predicate<String> validKey) {
    int limit = DEFAULT_LIMIT;
    String limitText = ctx.queryParams().get("limit");
    if (limitText != null) {
      try {
        limit = Integer.parseInt(limitText.trim());
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        ApiErrors.send(
            ctx,
            400,
            "invalid_field",
            "limit: must be a whole number from 1 to " + MAX_LIMIT + ", not '" + limitText + "'",
            "limit");
        return null;
      }
    }
    String cursor = ctx.queryParams().get("cursor");
    if (cursor == null) {
      return new PageRequest(listing, limit, Optional.empty());
    }
    Optional<String> key = decode(listing, cursor).filter(validKey);
    if (key.isEmpty()) {
      ApiErrors.send(
          ctx,
          400,
          "invalid_field",
          "cursor: not a cursor of this listing; pass the next_cursor of the page before as it"
              + " came, or none for the first page",
          "cursor");
      return null;
    }
    return new PageRequest(listing, limit, key);
  }

  /**
   * The answer {@code {"<field>": [...], "next_cursor": ...}} for {@code found}, the items after
   * {@link #after()} in order, of which the store was asked for {@code limit() + 1}: one more than
   * the page tells whether another page follows ({@code next_cursor} null on the last).
   */
  public <T> JsonObject answer(
      List<T> found, String field, Function<T, String> key, Function<T, JsonObject> json) {
    List<T> page = found.size() > limit ? found.subList(0, limit) : found;
    JsonArray array = new JsonArray();
    page.forEach(item -> array.add(json.apply(item)));
    String next =
        found.size() > limit ? encode(listing, key.apply(page.get(page.size() - 1))) : null;
    return new JsonObject().put(field, array).put("next_cursor", next);
  }

  static String encode(String listing, String key) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString((listing + ":" + key).getBytes(StandardCharsets.UTF_8));
  }

  static Optional<String> decode(String listing, String cursor) {
    String text;
    try {
      text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    String prefix = listing + ":";
    return text.startsWith(prefix) && text.length() > prefix.length()
        ? Optional.of(text.substring(prefix.length()))
        : Optional.empty();
  }
}
