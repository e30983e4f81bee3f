package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;

/**
 * Frees the slot if it is held by {@code ownerNode}, a member that left. The fencing counter stays,
 * so the next lease on the sandbox gets a higher token. Returns whether it freed anything.
 */
record ReclaimProcessor(String ownerNode, long retentionMillis)
    implements EntryProcessor<String, LeaseSlot, Boolean> {

  @Override
  public Boolean process(Map.Entry<String, LeaseSlot> entry) {
    LeaseSlot current = entry.getValue();
    if (current == null || !current.isHeld() || !ownerNode.equals(current.ownerNode())) {
      return Boolean.FALSE;
    }
    SlotEntries.store(entry, current.freed(), retentionMillis);
    return Boolean.TRUE;
  }
}
