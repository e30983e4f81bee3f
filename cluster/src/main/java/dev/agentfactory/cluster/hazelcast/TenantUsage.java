package dev.agentfactory.cluster.hazelcast;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/** The concurrent leases of one tenant, per node holding them: the quota map's value. */
record TenantUsage(Map<String, Integer> perNode) implements Serializable {

  private static final long serialVersionUID = 1L;

  TenantUsage {
    perNode = Map.copyOf(perNode);
  }

  int total() {
    return perNode.values().stream().mapToInt(Integer::intValue).sum();
  }

  TenantUsage plus(String node, int delta) {
    Map<String, Integer> next = new HashMap<>(perNode);
    int count = Math.max(0, next.getOrDefault(node, 0) + delta);
    if (count == 0) {
      next.remove(node);
    } else {
      next.put(node, count);
    }
    return new TenantUsage(next);
  }

  TenantUsage without(String node) {
    Map<String, Integer> next = new HashMap<>(perNode);
    next.remove(node);
    return new TenantUsage(next);
  }
}
