package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;

/**
 * Grants a lease on the entry's sandbox unless it has a live one. Returns the slot after the call:
 * carrying {@code leaseId} if granted, the blocking live lease otherwise.
 *
 * <p>Everything time- or randomness-dependent ({@code leaseId}, {@code nowMillis}) comes from the
 * caller: the processor also runs on the backup replica and must reach the same result there.
 */
record AcquireProcessor(
    String leaseId,
    String ownerNode,
    String sessionId,
    String template,
    long nowMillis,
    long ttlMillis,
    long retentionMillis)
    implements EntryProcessor<String, LeaseSlot, LeaseSlot> {

  @Override
  public LeaseSlot process(Map.Entry<String, LeaseSlot> entry) {
    LeaseSlot current = entry.getValue();
    if (current != null && current.isLive(nowMillis)) {
      return current;
    }
    LeaseSlot granted =
        new LeaseSlot(
            entry.getKey(),
            LeaseSlot.nextToken(current, nowMillis),
            leaseId,
            ownerNode,
            sessionId,
            template,
            nowMillis,
            nowMillis + ttlMillis);
    SlotEntries.store(entry, granted, ttlMillis + retentionMillis);
    return granted;
  }
}
