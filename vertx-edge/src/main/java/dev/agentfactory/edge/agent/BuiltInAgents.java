package dev.agentfactory.edge.agent;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;

/**
 * The node's built-in agents, as the {@link AgentRegistry} offers them to every tenant that has no
 * agent of the same name: each is its one version {@code v1}, deployed as stable since the
 * registry's start, and read-only. They live in memory, never in the store.
 */
final class BuiltInAgents {

  /** The built-in agents by name. */
  private final Map<String, BuiltIn> byName = new TreeMap<>();

  private record BuiltIn(AgentSpec spec, String contentHash) {}

  /** What built-in agents report as their creation and deployment time: the registry's start. */
  private final Instant since;

  BuiltInAgents(Instant since) {
    this.since = since;
  }

  /**
   * Adds {@code spec} as a built-in agent.
   *
   * @throws IllegalArgumentException if a built-in agent of that name was added already
   */
  void add(AgentSpec spec, String contentHash) {
    if (byName.put(spec.name(), new BuiltIn(spec, contentHash)) != null) {
      throw new IllegalArgumentException("two built-in agents are named " + spec.name());
    }
  }

  boolean has(String name) {
    return byName.containsKey(name);
  }

  /** The built-in agents' names, in order. */
  Set<String> names() {
    return byName.keySet();
  }

  /** The built-in agent named {@code ref.name()}, as tenant {@code ref.tenant()} is offered it. */
  Optional<Agent> agent(AgentRef ref) {
    if (!byName.containsKey(ref.name())) {
      return Optional.empty();
    }
    Deployment deployment = new Deployment(ref, 1, Optional.empty(), OptionalInt.empty(), 1, since);
    return Optional.of(new Agent(ref, since, 1, deployment, true));
  }

  /** The one version of the built-in agent named {@code ref.name()}. */
  AgentVersion version(AgentRef ref) {
    BuiltIn builtIn = byName.get(ref.name());
    return new AgentVersion(ref, 1, builtIn.contentHash(), builtIn.spec(), since);
  }

  /** The {@code conflict} for changing a built-in agent, which is read-only. */
  static AgentException readOnly(AgentRef ref) {
    return AgentException.conflict(
        "agent "
            + ref.name()
            + " is built in and read-only; create an agent named "
            + ref.name()
            + " (POST /v1/agents) to have one of your own, which then serves instead");
  }
}
