package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.map.EntryProcessor;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Changes one tenant's holds atomically on the tenant key's partition owner (no CP subsystem: that
 * is Enterprise-only from Hazelcast 5.5 on). Every operation is idempotent, so the caller may retry
 * it after any failure, whether or not the first attempt was applied:
 *
 * <ul>
 *   <li>{@code RESERVE} adds {@code holder}'s hold for {@code node} if the tenant is below {@code
 *       limit}, and answers whether {@code holder} holds one now: true, without a second hold, if
 *       it already did (a retry of a reserve that was applied).
 *   <li>{@code RELEASE} removes {@code holder}'s hold if there is one; answers whether it did.
 *   <li>{@code DROP_NODE} removes every hold of {@code node}, a node that left.
 *   <li>{@code SWEEP} removes the holds of nodes not in {@code nodes} (the nodes present) taken
 *       before {@code atMillis}: those of a node that left while nobody dropped them. Holds taken
 *       after it are kept, whoever took them: a node may have joined after {@code nodes} was read.
 * </ul>
 *
 * <p>Inputs come from the caller ({@code atMillis} included): the processor also runs on the backup
 * replica and must reach the same result there. Compact-serialised ({@link QuotaSerializers}).
 */
record QuotaProcessor(
    Op op, String holder, String node, int limit, long atMillis, List<String> nodes)
    implements EntryProcessor<String, TenantHolds, Boolean> {

  enum Op {
    RESERVE,
    RELEASE,
    DROP_NODE,
    SWEEP
  }

  QuotaProcessor {
    nodes = nodes == null ? List.of() : List.copyOf(nodes);
  }

  static QuotaProcessor reserve(String holder, String node, int limit, long atMillis) {
    return new QuotaProcessor(Op.RESERVE, holder, node, limit, atMillis, null);
  }

  static QuotaProcessor release(String holder) {
    return new QuotaProcessor(Op.RELEASE, holder, null, 0, 0, null);
  }

  static QuotaProcessor dropNode(String node) {
    return new QuotaProcessor(Op.DROP_NODE, null, node, 0, 0, null);
  }

  static QuotaProcessor sweep(Set<String> present, long beforeMillis) {
    return new QuotaProcessor(Op.SWEEP, null, null, 0, beforeMillis, List.copyOf(present));
  }

  @Override
  public Boolean process(Map.Entry<String, TenantHolds> entry) {
    TenantHolds holds = entry.getValue() == null ? TenantHolds.EMPTY : entry.getValue();
    TenantHolds next;
    switch (op) {
      case RESERVE -> {
        if (holds.has(holder)) {
          return Boolean.TRUE;
        }
        if (holds.count() >= limit) {
          return Boolean.FALSE;
        }
        next = holds.with(holder, new TenantHolds.Hold(node, atMillis));
      }
      case RELEASE -> {
        if (!holds.has(holder)) {
          return Boolean.FALSE;
        }
        next = holds.without(holder);
      }
      case DROP_NODE -> next = holds.withoutNode(node);
      case SWEEP -> next = holds.withoutAbsent(Set.copyOf(nodes), atMillis);
      default -> throw new IllegalStateException("unknown op " + op);
    }
    if (next.count() == holds.count()) {
      return Boolean.FALSE;
    }
    entry.setValue(next.count() == 0 ? null : next);
    return Boolean.TRUE;
  }
}
