package dev.agentfactory.cluster;

/**
 * A snapshot of this member's view of the cluster.
 *
 * @param state see {@link State}
 * @param memberCount members this node currently sees, itself included (0 once stopped)
 * @param localAddress this member's address as peers dial it, {@code host:port}
 * @param nodeId this member's id
 * @param heldLeases leases this node holds and keeps alive by heartbeat
 */
public record ClusterHealth(
    State state, int memberCount, String localAddress, String nodeId, int heldLeases) {

  /** Coarse member state for health checks. */
  public enum State {
    /** Running, and the cluster accepts writes. */
    ACTIVE,
    /** Running, but the cluster is frozen, passive, in transition, or not migrating partitions. */
    DEGRADED,
    /** Shut down or shutting down. */
    STOPPED
  }

  /** True when this node can serve leases. */
  public boolean isHealthy() {
    return state == State.ACTIVE;
  }
}
