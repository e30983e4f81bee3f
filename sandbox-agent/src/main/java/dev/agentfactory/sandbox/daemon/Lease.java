package dev.agentfactory.sandbox.daemon;

import dev.agentfactory.sandbox.Sandbox;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;

/**
 * One sandbox held through the API. Its TTL is renewed by every call on it and by heartbeats; when
 * it lapses the daemon terminates the sandbox.
 */
final class Lease {

  private final String id;
  private final Sandbox sandbox;
  private final Duration ttl;
  private final Instant createdAt = Instant.now();
  private volatile long expiresAtNanos;

  Lease(String id, Sandbox sandbox, Duration ttl) {
    this.id = id;
    this.sandbox = sandbox;
    this.ttl = ttl;
    renew();
  }

  String id() {
    return id;
  }

  Sandbox sandbox() {
    return sandbox;
  }

  void renew() {
    expiresAtNanos = System.nanoTime() + ttl.toNanos();
  }

  boolean expired(long nowNanos) {
    return nowNanos - expiresAtNanos > 0;
  }

  JsonObject toJson() {
    long leftMs = Math.max(0, (expiresAtNanos - System.nanoTime()) / 1_000_000);
    return new JsonObject()
        .put("id", id)
        .put("sandbox_id", sandbox.id())
        .put("template", sandbox.template())
        .put("state", sandbox.state().name().toLowerCase(java.util.Locale.ROOT))
        .put("ttl_ms", ttl.toMillis())
        .put("created_at", createdAt.toString())
        .put("expires_at", Instant.now().plusMillis(leftMs).toString());
  }
}
