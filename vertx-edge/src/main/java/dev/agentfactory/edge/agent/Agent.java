package dev.agentfactory.edge.agent;

import java.time.Instant;
import java.util.Objects;

/** An agent as listed: identity, when it was created, its newest version and its deployment. */
public record Agent(AgentRef ref, Instant createdAt, int latestVersion, Deployment deployment) {
  public Agent {
    Objects.requireNonNull(ref, "ref");
    createdAt = createdAt.truncatedTo(java.time.temporal.ChronoUnit.MILLIS); // what the store keeps
    Objects.requireNonNull(deployment, "deployment");
  }
}
