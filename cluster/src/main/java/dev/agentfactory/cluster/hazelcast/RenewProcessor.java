package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;

/**
 * Extends live leases whose fencing token is still current. One instance serves a single renew and
 * the heartbeat's batch: {@code expectedTokens} maps sandbox id to the token the caller holds.
 * Returns the renewed slot, or {@code null} when the caller's lease is fenced (gone, expired,
 * reclaimed or superseded).
 */
record RenewProcessor(
    Map<String, Long> expectedTokens, long nowMillis, long ttlMillis, long retentionMillis)
    implements EntryProcessor<String, LeaseSlot, LeaseSlot> {

  @Override
  public LeaseSlot process(Map.Entry<String, LeaseSlot> entry) {
    LeaseSlot current = entry.getValue();
    Long expected = expectedTokens.get(entry.getKey());
    if (current == null
        || expected == null
        || current.fencingToken() != expected
        || !current.isLive(nowMillis)) {
      return null;
    }
    LeaseSlot renewed = current.renewedUntil(nowMillis + ttlMillis);
    SlotEntries.store(entry, renewed, ttlMillis + retentionMillis);
    return renewed;
  }
}
