package dev.agentfactory.cluster.pool;

/**
 * Where a node is in leaving the cluster.
 *
 * @param draining no new leases are served or lent
 * @param activeLeases leases of this node's sessions still open
 * @param lentSandboxes sandboxes of this node still used by peers' sessions
 */
public record DrainStatus(boolean draining, int activeLeases, int lentSandboxes) {

  /** Nothing left to wait for: the node can leave without cutting anyone off. */
  public boolean drained() {
    return draining && activeLeases == 0 && lentSandboxes == 0;
  }
}
