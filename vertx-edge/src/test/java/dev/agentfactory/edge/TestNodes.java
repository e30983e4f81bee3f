package dev.agentfactory.edge;

import dev.agentfactory.edge.health.ComponentStatus;
import dev.agentfactory.edge.health.NodeHealth;

/** What ITs ask of the in-process nodes they start. */
public final class TestNodes {

  private TestNodes() {}

  /**
   * Where the node's cluster member listens ({@code host:port}), as its health says; another node
   * joins it there. The port asked for ({@code cluster.port}) may have been taken between its draw
   * and the member's bind, and the member then moved on to the next one (auto-increment is on).
   */
  public static String clusterAddress(AgentFactoryNode node) {
    ComponentStatus status = node.health().snapshot().get(NodeHealth.HAZELCAST);
    Object address = status == null ? null : status.detail().get("address");
    if (address == null || address.toString().isEmpty()) {
      throw new IllegalStateException("no cluster address in the node's health: " + status);
    }
    return address.toString().replace("[", "").replace("]", "");
  }
}
