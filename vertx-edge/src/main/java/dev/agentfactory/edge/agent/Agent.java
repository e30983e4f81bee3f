package dev.agentfactory.edge.agent;

import java.time.Instant;
import java.util.Objects;

/**
 * An agent as listed: identity, when it was created, its newest version and its deployment. A
 * {@code builtIn} one is the node's read-only built-in agent of that name, offered to a tenant that
 * has no agent of its own by that name (see {@link AgentRegistry}).
 */
public record Agent(
    AgentRef ref, Instant createdAt, int latestVersion, Deployment deployment, boolean builtIn) {
  public Agent {
    Objects.requireNonNull(ref, "ref");
    createdAt = createdAt.truncatedTo(java.time.temporal.ChronoUnit.MILLIS); // what the store keeps
    Objects.requireNonNull(deployment, "deployment");
  }

  /** A tenant's own agent, from the store. */
  public Agent(AgentRef ref, Instant createdAt, int latestVersion, Deployment deployment) {
    this(ref, createdAt, latestVersion, deployment, false);
  }
}
