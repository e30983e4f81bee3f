package dev.agentfactory.edge.agent;

import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/**
 * Durable agents, versions and deployments. Implementations keep blocking I/O off the event loop.
 * Failures are {@link AgentException}s: {@code conflict} for a duplicate agent or a stale
 * deployment revision, {@code store_unavailable} when the store itself fails.
 */
public interface AgentStore {

  /** Creates an agent with its first version and deployment, atomically. */
  Future<Agent> create(AgentVersion first, Deployment deployment);

  Future<Optional<Agent>> agent(AgentRef ref);

  /** The tenant's agents by name. */
  Future<List<Agent>> agents(String tenant);

  /**
   * Up to {@code limit} of the tenant's agents by name, those named after {@code after} if given.
   */
  Future<List<Agent>> agents(String tenant, Optional<String> after, int limit);

  /**
   * Adds {@code spec} as the next version, or returns the existing version with the same content
   * hash. Fails with {@code not_found} if the agent does not exist.
   */
  Future<AgentVersion> addVersion(AgentRef ref, AgentSpec spec, String contentHash);

  /** All versions, oldest first. */
  Future<List<AgentVersion>> versions(AgentRef ref);

  Future<Optional<AgentVersion>> version(AgentRef ref, int number);

  /**
   * Replaces the deployment if its stored revision is still {@code expectedRevision}; the new one
   * must carry {@code expectedRevision + 1}. Fails with {@code conflict} otherwise.
   */
  Future<Deployment> updateDeployment(long expectedRevision, Deployment next);

  Future<Void> close();
}
