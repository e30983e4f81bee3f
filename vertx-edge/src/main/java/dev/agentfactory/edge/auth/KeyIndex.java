package dev.agentfactory.edge.auth;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The in-memory copy of the API keys that every request is checked against: replaced by reloads
 * from the store, and changed at once by the keys this node creates and revokes.
 *
 * <p>A reload reads the store at some moment and is applied later, so two races are closed here.
 * Reloads are numbered when they start, and one that finishes after a newer one was applied is
 * dropped. And every change made on this node is kept until a reload that started after it has been
 * applied; an older reload is applied with those changes on top, so a revoked key cannot come back,
 * nor a new key go missing, because the reload read the store just before the change.
 *
 * <pre>{@code
 * KeyIndex.Reload reload = index.startReload(); // before reading the store
 * index.apply(reload, store.all());
 * }</pre>
 */
final class KeyIndex {

  /** A reload in flight: its number and how many local changes it may have missed. */
  record Reload(long number, long changesBefore) {}

  /** A change made on this node, numbered. */
  private sealed interface Change {
    long number();

    void applyTo(Map<String, ApiKey> byHash);
  }

  private record Created(long number, ApiKey key) implements Change {
    @Override
    public void applyTo(Map<String, ApiKey> byHash) {
      byHash.put(key.hash(), key);
    }
  }

  private record Revoked(long number, String id, Instant at) implements Change {
    @Override
    public void applyTo(Map<String, ApiKey> byHash) {
      byHash.replaceAll(
          (hash, key) ->
              key.id().equals(id) && !key.isRevoked()
                  ? new ApiKey(
                      key.id(),
                      key.tenant(),
                      key.name(),
                      key.hash(),
                      key.createdAt(),
                      Optional.of(at))
                  : key);
    }
  }

  // All guarded by this; each critical section is a map copy, no I/O.
  private long reloadsStarted;
  private long newestApplied;
  private long changes;
  private final List<Change> pending = new ArrayList<>();
  private volatile Keys current = new Keys(Map.of());

  /** One version of the keys, by hash (what a request shows) and by id (what a session keeps). */
  private record Keys(Map<String, ApiKey> byHash, Map<String, ApiKey> byId) {
    Keys(Map<String, ApiKey> byHash) {
      this(
          Map.copyOf(byHash),
          byHash.values().stream().collect(Collectors.toUnmodifiableMap(ApiKey::id, k -> k)));
    }
  }

  /** The key with this SHA-256, if this node knows it (revoked ones included). */
  ApiKey byHash(String hash) {
    return current.byHash().get(hash);
  }

  /** The key with this id, if this node knows it (revoked ones included). */
  ApiKey byId(String id) {
    return current.byId().get(id);
  }

  /** Call before reading the store; pass the result to {@link #apply}. */
  synchronized Reload startReload() {
    return new Reload(++reloadsStarted, changes);
  }

  /**
   * Replaces the keys with those a reload read, unless a reload started later was applied already;
   * changes made on this node since the reload started are applied on top.
   *
   * @return false if the reload was dropped as stale
   */
  synchronized boolean apply(Reload reload, List<ApiKey> keys) {
    if (reload.number() < newestApplied) {
      return false;
    }
    newestApplied = reload.number();
    Map<String, ApiKey> next = new HashMap<>();
    keys.forEach(k -> next.put(k.hash(), k));
    // A later reload starts with at least as many changes behind it: those it saw are done with.
    pending.removeIf(c -> c.number() <= reload.changesBefore());
    pending.forEach(c -> c.applyTo(next));
    current = new Keys(next);
    return true;
  }

  /** A key created on this node: known at once. Call after the store committed it. */
  void created(ApiKey key) {
    change(n -> new Created(n, key));
  }

  /** A key revoked on this node: refused at once. Call after the store committed it. */
  void revoked(String id, Instant at) {
    change(n -> new Revoked(n, id, at));
  }

  private synchronized void change(java.util.function.LongFunction<Change> numbered) {
    Change change = numbered.apply(++changes);
    pending.add(change);
    Map<String, ApiKey> next = new HashMap<>(current.byHash());
    change.applyTo(next);
    current = new Keys(next);
  }
}
