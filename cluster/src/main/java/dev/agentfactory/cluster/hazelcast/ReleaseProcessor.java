package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;

/**
 * Frees the slot if the caller's token is still the current one: compare-and-release, never
 * get-modify-put. Returns {@code false} when a newer lease superseded the caller's. Releasing a
 * lease that already lapsed or was reclaimed, and that nobody took over, succeeds.
 */
record ReleaseProcessor(long expectedToken, long retentionMillis)
    implements EntryProcessor<String, LeaseSlot, Boolean> {

  @Override
  public Boolean process(Map.Entry<String, LeaseSlot> entry) {
    LeaseSlot current = entry.getValue();
    if (current == null) {
      // the slot aged out after the retention period: nobody holds the sandbox
      return Boolean.TRUE;
    }
    if (current.fencingToken() != expectedToken) {
      return Boolean.FALSE;
    }
    if (current.isHeld()) {
      SlotEntries.store(entry, current.freed(), retentionMillis);
    }
    return Boolean.TRUE;
  }
}
