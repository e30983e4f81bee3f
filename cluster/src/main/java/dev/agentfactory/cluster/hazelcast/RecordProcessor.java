package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;

/**
 * Records a lease that the sandbox's host node already granted locally (the hot path: the caller
 * did not wait for this). Stores it unless the slot holds a live lease of someone else or a token
 * at least as high; returns the slot after the call, carrying {@code leaseId} if recorded.
 *
 * <p>Only the host ever grants a sandbox, and only once (a sandbox is terminated when its lease
 * ends), so in practice the slot is always new; the checks keep the invariant even if that
 * assumption is ever broken.
 */
record RecordProcessor(
    String leaseId,
    long fencingToken,
    String ownerNode,
    String sessionId,
    String template,
    long grantedAtMillis,
    long expiresAtMillis,
    long ttlMillis,
    long retentionMillis)
    implements EntryProcessor<String, LeaseSlot, LeaseSlot> {

  @Override
  public LeaseSlot process(Map.Entry<String, LeaseSlot> entry) {
    LeaseSlot current = entry.getValue();
    if (current != null && leaseId.equals(current.leaseId())) {
      return current; // a retried record
    }
    if (current != null
        && (current.isLive(grantedAtMillis) || current.fencingToken() >= fencingToken)) {
      return current;
    }
    LeaseSlot recorded =
        new LeaseSlot(
            entry.getKey(),
            fencingToken,
            leaseId,
            ownerNode,
            sessionId,
            template,
            grantedAtMillis,
            expiresAtMillis);
    SlotEntries.store(entry, recorded, ttlMillis + retentionMillis);
    return recorded;
  }
}
