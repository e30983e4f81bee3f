package dev.agentfactory.edge.agent;

import java.util.Objects;

/** An agent's identity: its tenant and its name, unique within the tenant. */
public record AgentRef(String tenant, String name) {

  /** The tenant of everything until tenants and auth arrive. */
  public static final String DEFAULT_TENANT = "default";

  public AgentRef {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(name, "name");
  }

  /** {@code name} in the default tenant. */
  public static AgentRef of(String name) {
    return new AgentRef(DEFAULT_TENANT, name);
  }

  @Override
  public String toString() {
    return tenant + "/" + name;
  }
}
