package dev.agentfactory.cluster.hazelcast;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The quota map's value: who holds one tenant's leases, by holder id (one id per lease, made by the
 * leasing node before its first reserve). The count is the number of holds, so a reserve or release
 * that is applied twice (a retry after a timeout, Hazelcast re-invoking after a member loss)
 * changes nothing the second time.
 *
 * @param holds each hold by holder id
 */
record TenantHolds(Map<String, Hold> holds) {

  /**
   * One lease's hold on its tenant's quota.
   *
   * @param node the node that took it, whose departure drops it
   * @param sinceMillis cluster time of the reserve, as the leasing node read it
   */
  record Hold(String node, long sinceMillis) {}

  static final TenantHolds EMPTY = new TenantHolds(Map.of());

  TenantHolds {
    holds = Map.copyOf(holds);
  }

  int count() {
    return holds.size();
  }

  boolean has(String holder) {
    return holds.containsKey(holder);
  }

  TenantHolds with(String holder, Hold hold) {
    Map<String, Hold> next = new HashMap<>(holds);
    next.put(holder, hold);
    return new TenantHolds(next);
  }

  TenantHolds without(String holder) {
    Map<String, Hold> next = new HashMap<>(holds);
    next.remove(holder);
    return new TenantHolds(next);
  }

  /** Without the holds of {@code node}. */
  TenantHolds withoutNode(String node) {
    Map<String, Hold> next = new HashMap<>(holds);
    next.values().removeIf(hold -> hold.node().equals(node));
    return new TenantHolds(next);
  }

  /** Without the holds of nodes not in {@code present} taken before {@code beforeMillis}. */
  TenantHolds withoutAbsent(Set<String> present, long beforeMillis) {
    Map<String, Hold> next = new HashMap<>(holds);
    next.values()
        .removeIf(hold -> !present.contains(hold.node()) && hold.sinceMillis() < beforeMillis);
    return new TenantHolds(next);
  }
}
