package dev.agentfactory.edge.auth;

import dev.agentfactory.edge.api.ApiErrors;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is calling: API keys mapped to tenants, an admin key set at start-up, and a rate limit per
 * key. With no admin key configured, auth is off and every caller is the tenant {@value
 * #DEFAULT_TENANT} — the node refuses to start that way unless it listens on loopback only.
 *
 * <p>Keys are checked against an in-memory copy of the store (no I/O per request). A revocation on
 * this node takes effect at once and is announced to the other nodes ({@link
 * #announceRevocationsWith}), which read the store again as soon as they hear of it ({@link
 * #revokedElsewhere}). Every node also reads the store every {@link #REFRESH_MS} ms, which bounds
 * how late a node that missed the announcement refuses the key. The sessions a key opened end when
 * it is revoked, as soon as the node refuses it ({@link #onKeysChanged}).
 */
public final class Auth {

  private static final Logger LOG = LoggerFactory.getLogger(Auth.class);
  public static final String TENANT = "af.tenant";
  public static final String ADMIN = "af.admin";

  /** The id of the API key that authenticated the request; absent for the admin key. */
  public static final String KEY_ID = "af.key";

  public static final String DEFAULT_TENANT = "default";

  /** The realm every 401 names in its {@code WWW-Authenticate} challenge (RFC 6750). */
  static final String REALM = "agent-factory";

  /**
   * The tenant the admin key acts as on the tenant's routes (sessions, agents). No API key may be
   * created for it: such a key would reach the sessions and agents the admin key made.
   */
  public static final String ADMIN_TENANT = "admin";

  static final long REFRESH_MS = 10_000;

  /**
   * A system property that replaces {@link #REFRESH_MS}, for tests that must tell the announcement
   * of a revocation from the periodic reload; not a node option.
   */
  static final String REFRESH_MS_PROPERTY = "af.auth.refresh.ms";

  private final Vertx vertx;
  private final Optional<String> adminKey;
  private final ApiKeyStore store;
  private final RateLimiter limiter;
  private final WorkerExecutor worker;
  private final KeyIndex keys = new KeyIndex();
  private volatile Runnable onKeysChanged = () -> {};
  private volatile Function<String, CompletionStage<Void>> announceRevoked =
      id -> CompletableFuture.completedFuture(null);
  private final AtomicBoolean reloadAsked = new AtomicBoolean();
  private volatile Context context;

  public Auth(Vertx vertx, Optional<String> adminKey, ApiKeyStore store, RateLimiter limiter) {
    this.vertx = vertx;
    this.adminKey = adminKey;
    this.store = store;
    this.limiter = limiter;
    this.worker = vertx.createSharedWorkerExecutor("af-auth-store", 2);
  }

  public boolean enabled() {
    return adminKey.isPresent();
  }

  /** Loads the keys, then keeps them fresh. */
  public Future<Void> start() {
    context = vertx.getOrCreateContext();
    long every = Long.getLong(REFRESH_MS_PROPERTY, REFRESH_MS);
    vertx.setPeriodic(every, id -> reload());
    return reload().onSuccess(Auth::warnOfAdminTenantKeys).mapEmpty();
  }

  /**
   * Keys made for tenant {@value #ADMIN_TENANT} before creating them was refused still sit in old
   * stores: the operator is told at start which to revoke, since each request with one is refused.
   */
  private static void warnOfAdminTenantKeys(List<ApiKey> all) {
    List<String> ids =
        all.stream().filter(k -> !k.isRevoked() && actsAsAdmin(k)).map(ApiKey::id).toList();
    if (!ids.isEmpty()) {
      LOG.warn(
          "API keys {} were made for tenant '{}', the admin key's own tenant, before such keys were"
              + " refused; every request with one is refused (401 admin_tenant_key): revoke them"
              + " (DELETE /v1/keys/ID)",
          ids,
          ADMIN_TENANT);
    }
  }

  /** A key of the admin key's tenant: it would reach the admin's sessions and agents. */
  private static boolean actsAsAdmin(ApiKey key) {
    return ADMIN_TENANT.equals(key.tenant());
  }

  /**
   * Reads every key from the store into the index. A reload that finishes after a newer one, or
   * after a key was created or revoked here, cannot undo what those applied ({@link KeyIndex}).
   */
  private Future<List<ApiKey>> reload() {
    KeyIndex.Reload reload = keys.startReload();
    return worker
        .executeBlocking(store::all)
        .onSuccess(
            all -> {
              if (keys.apply(reload, all)) {
                onKeysChanged.run();
              }
            })
        .onFailure(e -> LOG.warn("API keys not refreshed from the store", e));
  }

  /**
   * Authenticates {@code /v1} requests (other paths pass), puts the tenant into the context and
   * applies the caller's rate limit.
   */
  public Handler<RoutingContext> handler() {
    return ctx -> {
      if (!ctx.normalizedPath().startsWith("/v1/")) {
        ctx.next();
        return;
      }
      if (!enabled()) {
        ctx.put(TENANT, DEFAULT_TENANT);
        ctx.put(ADMIN, true);
        ctx.next();
        return;
      }
      String token = credential(ctx);
      if (token == null) {
        unauthorized(
            ctx,
            false,
            "missing_credentials",
            "send an API key as 'Authorization: Bearer KEY' (or ?access_token=KEY)",
            "authorization");
        return;
      }
      String caller;
      if (constantTimeEquals(token, adminKey.get())) {
        ctx.put(ADMIN, true);
        ctx.put(TENANT, ADMIN_TENANT);
        caller = "admin";
      } else {
        ApiKey key = keys.byHash(ApiKeyStore.sha256(token));
        if (key == null || key.isRevoked()) {
          unauthorized(ctx, true, "invalid_credentials", "unknown or revoked API key", null);
          return;
        }
        if (actsAsAdmin(key)) {
          unauthorized(
              ctx,
              true,
              "admin_tenant_key",
              "API key "
                  + key.id()
                  + " was made for tenant '"
                  + ADMIN_TENANT
                  + "', the admin key's own tenant, before such keys were refused; it is refused"
                  + " now: an operator revokes it (DELETE /v1/keys/"
                  + key.id()
                  + ") and makes a key for another tenant",
              null);
          return;
        }
        ctx.put(ADMIN, false);
        ctx.put(TENANT, key.tenant());
        ctx.put(KEY_ID, key.id());
        caller = key.id();
      }
      long waitMs = limiter.tryAcquire(caller);
      if (waitMs > 0) {
        ApiErrors.tooMany(ctx, "rate_limited", "too many requests for this API key", waitMs);
        return;
      }
      ctx.next();
    };
  }

  /**
   * 401 in the API's error shape with the challenge RFC 6750 asks of it: {@code WWW-Authenticate:
   * Bearer realm="agent-factory"}, and {@code error="invalid_token"} when the request carried a key
   * that is refused (unknown, revoked, of the admin tenant); a request without one gets no error
   * code (RFC 6750 3.1).
   */
  private static void unauthorized(
      RoutingContext ctx, boolean keyRefused, String code, String message, String field) {
    ctx.response()
        .putHeader(
            "www-authenticate",
            "Bearer realm=\"" + REALM + "\"" + (keyRefused ? ", error=\"invalid_token\"" : ""));
    ApiErrors.send(ctx, 401, code, message, field);
  }

  /** Runs {@code action} if the caller holds the admin key, else answers 403. */
  public static void requireAdmin(RoutingContext ctx, Runnable action) {
    if (Boolean.TRUE.equals(ctx.get(ADMIN))) {
      action.run();
    } else {
      ApiErrors.send(ctx, 403, "forbidden", "this needs the admin key", null);
    }
  }

  /** The id of the API key the request came with; empty for the admin key and with auth off. */
  public static Optional<String> keyId(RoutingContext ctx) {
    return Optional.ofNullable(ctx.get(KEY_ID));
  }

  /**
   * Whether the API key with this id no longer authenticates on this node: revoked, gone from the
   * store, or of the admin key's tenant. What a request with it would be refused for, so a session
   * it opened ends for it too.
   */
  public boolean refuses(String keyId) {
    ApiKey key = keys.byId(keyId);
    return key == null || key.isRevoked() || actsAsAdmin(key);
  }

  /**
   * Runs {@code listener} whenever this node's copy of the keys changes: a revocation on this node
   * (at once) and a reload from the store (as soon as another node announces a revocation, and
   * every {@link #REFRESH_MS} ms in case an announcement never arrives). The listener asks {@link
   * #refuses} which keys to drop; it runs on an event loop and must not block. One listener; a
   * later call replaces it.
   */
  public void onKeysChanged(Runnable listener) {
    onKeysChanged = listener;
  }

  public static String tenant(RoutingContext ctx) {
    String tenant = ctx.get(TENANT);
    return tenant == null ? DEFAULT_TENANT : tenant;
  }

  /** Creates a key; it authenticates on this node as soon as the store has it. */
  Future<ApiKeyStore.Created> create(String tenant, String name) {
    return worker
        .executeBlocking(() -> store.create(tenant, name))
        .onSuccess(created -> keys.created(created.key()));
  }

  /** See {@link ApiKeyStore#page}. */
  Future<Optional<List<ApiKey>>> list(Optional<String> afterId, int limit) {
    return worker.executeBlocking(() -> store.page(afterId, limit));
  }

  /**
   * Publishes each key this node revokes to the other nodes, once the store has committed the
   * revocation ({@link #revokedElsewhere} on each of them). Until this is called nothing is
   * announced and the other nodes see revocations at their periodic reload.
   */
  public void announceRevocationsWith(Function<String, CompletionStage<Void>> publish) {
    announceRevoked = publish;
  }

  /**
   * Another node says it revoked the key with this id: reads every key from the store again now,
   * rather than at the next periodic reload. From any thread (a cluster event thread, which must
   * not wait): the reload starts on this node's context and reads the store on the auth worker.
   *
   * <p>The announcement is a reason to read the store, not a revocation in itself: the store stays
   * the one source of truth, so a notice that is stale, repeated, meant for another cluster sharing
   * the network, or sent by a member with a bug cannot lock a valid key out, and the key's
   * revocation time comes from the store as on every other node. The cost is one read of the store
   * per burst of announcements: those that arrive before the asked-for reload has started share it,
   * since it reads the store after they were all committed.
   */
  public void revokedElsewhere(String keyId) {
    LOG.info("API key {} was revoked through another node; reading the keys again", keyId);
    if (reloadAsked.compareAndSet(false, true)) {
      context.runOnContext(
          v -> {
            reloadAsked.set(false);
            reload();
          });
    }
  }

  /**
   * Revokes a key; on this node it is refused as soon as the store has the revocation, with no
   * reload in between that could fail after the revocation was committed. Then the other nodes are
   * told ({@link #announceRevocationsWith}).
   */
  Future<Boolean> revoke(String id) {
    return worker
        .executeBlocking(() -> store.revoke(id))
        .onSuccess(
            found -> {
              if (found) {
                keys.revoked(id, Instant.now());
                onKeysChanged.run();
                announce(id);
              }
            });
  }

  private void announce(String id) {
    CompletionStage<Void> sent;
    try {
      sent = announceRevoked.apply(id);
    } catch (RuntimeException e) { // a cluster member already shut down throws rather than fails
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete(
        (v, e) -> {
          if (e != null) {
            LOG.warn(
                "revocation of API key {} not announced to the other nodes; they refuse it at"
                    + " their next read of the key store",
                id,
                e);
          }
        });
  }

  private static String credential(RoutingContext ctx) {
    String header = ctx.request().getHeader("authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).trim();
    }
    return ctx.queryParams().get("access_token");
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  public void close() {
    worker.close();
  }
}
