package dev.agentfactory.edge.agent;

import java.time.Instant;
import java.util.Objects;

/**
 * One immutable version of an agent: numbered 1, 2, … in the order added, identified by the hash of
 * its canonical spec. Adding a spec equal to an existing version returns that version.
 */
public record AgentVersion(
    AgentRef agent, int number, String contentHash, AgentSpec spec, Instant createdAt) {

  public AgentVersion {
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(contentHash, "contentHash");
    Objects.requireNonNull(spec, "spec");
    createdAt = createdAt.truncatedTo(java.time.temporal.ChronoUnit.MILLIS); // what the store keeps
    if (number < 1) {
      throw new IllegalArgumentException("versions are numbered from 1");
    }
  }

  /** {@code v1}, {@code v2}, … */
  public String label() {
    return "v" + number;
  }
}
