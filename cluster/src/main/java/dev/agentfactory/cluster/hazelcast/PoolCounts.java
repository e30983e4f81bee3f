package dev.agentfactory.cluster.hazelcast;

import dev.agentfactory.cluster.pool.PoolCounters;
import java.util.concurrent.atomic.LongAdder;

/**
 * The running counts behind one node's {@link PoolCounters}, shared by the parts of its pool that
 * count: local grants, borrowing, loss, lending.
 */
final class PoolCounts {

  final LongAdder localLeases = new LongAdder();
  final LongAdder borrowedLeases = new LongAdder();
  final LongAdder lent = new LongAdder();
  final LongAdder remoteCalls = new LongAdder();
  final LongAdder recordsWritten = new LongAdder();
  final LongAdder leasesLost = new LongAdder();
  final LongAdder reclaimed = new LongAdder();

  PoolCounters snapshot() {
    return new PoolCounters(
        localLeases.sum(),
        borrowedLeases.sum(),
        lent.sum(),
        remoteCalls.sum(),
        recordsWritten.sum(),
        leasesLost.sum(),
        reclaimed.sum());
  }
}
