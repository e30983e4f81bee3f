package dev.agentfactory.edge.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The races between reloads of the key store and the keys this node creates and revokes, played in
 * the order that loses them: each reload here read the store before the change it races with.
 */
class KeyIndexTest {

  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant REVOKED = Instant.parse("2026-01-02T00:00:00Z");

  private final KeyIndex index = new KeyIndex();
  private final ApiKey key = key("key_a", "hash-a");

  @Test
  void aReloadThatReadTheStoreBeforeARevocationDoesNotBringTheKeyBack() {
    index.apply(index.startReload(), List.of(key));
    KeyIndex.Reload reading = index.startReload(); // reads the key, not yet revoked

    index.revoked("key_a", REVOKED);
    assertThat(index.byHash("hash-a").isRevoked()).as("at once").isTrue();
    assertThat(index.apply(reading, List.of(key))).isTrue();

    assertThat(index.byHash("hash-a").isRevoked()).as("after the older reload").isTrue();
  }

  @Test
  void aReloadThatReadTheStoreBeforeAKeyWasCreatedDoesNotDropIt() {
    KeyIndex.Reload reading = index.startReload(); // reads no key

    index.created(key);
    index.apply(reading, List.of());

    assertThat(index.byHash("hash-a")).isEqualTo(key);
  }

  @Test
  void aReloadFinishingAfterANewerOneIsDropped() {
    KeyIndex.Reload older = index.startReload(); // reads the key before another node revoked it
    KeyIndex.Reload newer = index.startReload(); // reads it revoked
    ApiKey revoked = revoked(key);

    assertThat(index.apply(newer, List.of(revoked))).isTrue();
    assertThat(index.apply(older, List.of(key))).as("stale").isFalse();

    assertThat(index.byHash("hash-a")).isEqualTo(revoked);
  }

  @Test
  void revokingAKeyThisNodeHasNotLoadedYetHoldsOnceAReloadBringsIt() {
    KeyIndex.Reload reading = index.startReload(); // another node's new key, read unrevoked

    index.revoked("key_a", REVOKED);
    index.apply(reading, List.of(key));

    assertThat(index.byHash("hash-a").isRevoked()).isTrue();
  }

  /** A session keeps its key's id: by id the index answers as by hash, revocations included. */
  @Test
  void aKeyIsFoundByItsIdAsByItsHashAndReadsRevokedThereAtOnce() {
    index.apply(index.startReload(), List.of(key, key("key_b", "hash-b")));
    assertThat(index.byId("key_a")).isEqualTo(key);

    index.revoked("key_a", REVOKED);

    assertThat(index.byId("key_a").isRevoked()).isTrue();
    assertThat(index.byId("key_b").isRevoked()).as("another key").isFalse();
    assertThat(index.byId("key_c")).as("unknown").isNull();
  }

  private static ApiKey key(String id, String hash) {
    return new ApiKey(id, "acme", "ci", hash, CREATED, Optional.empty());
  }

  private static ApiKey revoked(ApiKey key) {
    return new ApiKey(
        key.id(), key.tenant(), key.name(), key.hash(), key.createdAt(), Optional.of(REVOKED));
  }
}
