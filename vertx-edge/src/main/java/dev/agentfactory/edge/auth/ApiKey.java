package dev.agentfactory.edge.auth;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * An API key as stored: never the secret itself, only its SHA-256 (keys are 190-bit random strings,
 * so a fast hash is as safe as a slow one and keeps every request cheap).
 */
public record ApiKey(
    String id,
    String tenant,
    String name,
    String hash,
    Instant createdAt,
    Optional<Instant> revokedAt) {

  /**
   * The precision of a key's times: what the store's SQL timestamps keep (H2 and PostgreSQL alike),
   * so a key reads the same when created as when listed from the store.
   */
  public static final ChronoUnit PRECISION = ChronoUnit.MICROS;

  public ApiKey {
    createdAt = createdAt.truncatedTo(PRECISION);
    revokedAt = revokedAt.map(t -> t.truncatedTo(PRECISION));
  }

  public boolean isRevoked() {
    return revokedAt.isPresent();
  }
}
