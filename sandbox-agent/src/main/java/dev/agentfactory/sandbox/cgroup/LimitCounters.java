package dev.agentfactory.sandbox.cgroup;

/**
 * Cumulative limit hits of one cgroup since it was created.
 *
 * @param oomKills processes killed by the OOM killer for the memory limit
 * @param pidsRejections forks refused by the process limit
 */
public record LimitCounters(long oomKills, long pidsRejections) {

  public static final LimitCounters NONE = new LimitCounters(0, 0);
}
