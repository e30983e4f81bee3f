package dev.agentfactory.cluster.pool;

import java.io.Serializable;
import java.util.Map;

/**
 * What one node advertises to the others, refreshed every {@link PoolConfig#advertiseInterval()}.
 *
 * @param nodeId the node
 * @param capacity its weight in the target split
 * @param draining a draining node takes no new leases and lends nothing; its target is 0
 * @param ready warm sandboxes per template, ready to lease or lend
 * @param leased sandboxes per template held by leases (its own sessions' and lent ones)
 * @param target its current share of the cluster-wide targets (or its own local targets)
 */
public record NodeStock(
    String nodeId,
    int capacity,
    boolean draining,
    Map<String, Integer> ready,
    Map<String, Integer> leased,
    Map<String, Integer> target)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  public NodeStock {
    ready = Map.copyOf(ready);
    leased = Map.copyOf(leased);
    target = Map.copyOf(target);
  }

  public int readyOf(String template) {
    return ready.getOrDefault(template, 0);
  }
}
