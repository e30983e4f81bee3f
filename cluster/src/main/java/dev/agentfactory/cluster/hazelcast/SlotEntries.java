package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.map.ExtendedMapEntry;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Writing a slot from inside an entry processor. */
final class SlotEntries {

  private SlotEntries() {}

  /**
   * Stores {@code slot} with an entry TTL of {@code ttlMillis}: the backstop that drops slots
   * nobody has touched for a lease TTL plus the fencing retention period.
   */
  static void store(Map.Entry<String, LeaseSlot> entry, LeaseSlot slot, long ttlMillis) {
    if (entry instanceof ExtendedMapEntry<String, LeaseSlot> extended) {
      extended.setValue(slot, ttlMillis, TimeUnit.MILLISECONDS);
    } else {
      entry.setValue(slot);
    }
  }
}
