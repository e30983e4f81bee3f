package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;

/**
 * Changes one tenant's lease count atomically on the tenant key's partition owner (no CP subsystem:
 * that is Enterprise-only from Hazelcast 5.5 on). {@code RESERVE} takes one lease for {@code node}
 * if the tenant is below {@code limit} and answers whether it did; {@code RELEASE} gives one back;
 * {@code DROP_NODE} forgets everything a departed node held.
 */
record QuotaProcessor(Op op, String node, int limit)
    implements EntryProcessor<String, TenantUsage, Boolean> {

  enum Op {
    RESERVE,
    RELEASE,
    DROP_NODE
  }

  @Override
  public Boolean process(Map.Entry<String, TenantUsage> entry) {
    TenantUsage usage = entry.getValue() == null ? new TenantUsage(Map.of()) : entry.getValue();
    TenantUsage next;
    switch (op) {
      case RESERVE -> {
        if (usage.total() >= limit) {
          return Boolean.FALSE;
        }
        next = usage.plus(node, 1);
      }
      case RELEASE -> next = usage.plus(node, -1);
      case DROP_NODE -> {
        if (!usage.perNode().containsKey(node)) {
          return Boolean.FALSE;
        }
        next = usage.without(node);
      }
      default -> throw new IllegalStateException("unknown op " + op);
    }
    if (next.perNode().isEmpty()) {
      entry.setValue(null);
    } else {
      entry.setValue(next);
    }
    return Boolean.TRUE;
  }
}
