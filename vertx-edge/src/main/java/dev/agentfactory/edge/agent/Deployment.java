package dev.agentfactory.edge.agent;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Which version of an agent serves traffic: a stable version and, optionally, a canary taking a
 * percentage of sessions. {@code previousStable} is what {@link AgentRegistry#rollback} returns to;
 * {@code revision} increases with every change and guards concurrent updates (compare-and-set).
 */
public record Deployment(
    AgentRef agent,
    int stableVersion,
    Optional<Canary> canary,
    OptionalInt previousStable,
    long revision,
    Instant updatedAt) {

  /** A version taking {@code percent} (0 to 100) of new sessions. */
  public record Canary(int version, int percent) {
    public Canary {
      if (version < 1) {
        throw AgentException.invalidRequest("canary.version", "versions are numbered from 1");
      }
      if (percent < 0 || percent > 100) {
        throw AgentException.invalidRequest("canary.percent", "must be from 0 to 100");
      }
    }
  }

  public Deployment {
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(canary, "canary");
    Objects.requireNonNull(previousStable, "previousStable");
    updatedAt = updatedAt.truncatedTo(java.time.temporal.ChronoUnit.MILLIS); // what the store keeps
    if (stableVersion < 1) {
      throw AgentException.invalidRequest("version", "versions are numbered from 1");
    }
    if (canary.isPresent() && canary.get().version() == stableVersion) {
      throw AgentException.invalidRequest("canary.version", "the canary is the stable version");
    }
  }

  /**
   * The version serving the session {@code sessionKey}. Deterministic: a key always lands on the
   * same side of a given canary, and about {@code percent} of keys land on the canary. The hash is
   * salted with the agent and canary version, so each new canary draws a fresh sample of keys.
   */
  public int route(String sessionKey) {
    if (canary.isEmpty()) {
      return stableVersion;
    }
    Canary c = canary.get();
    String salted = agent + "/" + c.version() + "/" + sessionKey;
    return bucket(salted) < c.percent() * 100 ? c.version() : stableVersion;
  }

  /** A bucket from 0 to 9999 from the first 8 bytes of SHA-256. */
  static int bucket(String key) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      long h = 0;
      for (int i = 0; i < 8; i++) {
        h = (h << 8) | (d[i] & 0xff);
      }
      return (int) Long.remainderUnsigned(h, 10_000);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
