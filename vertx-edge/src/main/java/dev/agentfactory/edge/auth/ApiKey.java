package dev.agentfactory.edge.auth;

import java.time.Instant;
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

  public boolean isRevoked() {
    return revokedAt.isPresent();
  }
}
