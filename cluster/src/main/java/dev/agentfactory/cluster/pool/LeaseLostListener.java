package dev.agentfactory.cluster.pool;

/**
 * Told when a lease of this node ends without a release: the sandbox is gone or no longer this
 * node's to use. Called at most once per lease, on a cluster thread: hop to your own context.
 */
@FunctionalInterface
public interface LeaseLostListener {

  /** Why a lease was lost; the code is stable, for error frames and metrics. */
  enum Reason {
    /** The node hosting a borrowed sandbox left the cluster (killed, partitioned or drained). */
    HOST_LEFT("sandbox_host_left"),
    /** The heartbeat found the lease expired, reclaimed or superseded (e.g. after a partition). */
    FENCED("lease_fenced"),
    /** The cluster-wide record of a locally granted lease could not be written. */
    NOT_RECORDED("lease_not_recorded");

    private final String code;

    Reason(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  void onLost(PooledSandbox leased, Reason reason);
}
