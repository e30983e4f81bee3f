package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxException;
import java.util.BitSet;

/** Hands out host uids from a fixed range, one per live sandbox. Thread-safe. */
final class UidAllocator {

  private final int base;
  private final int count;
  private final BitSet used;
  // Round-robin, so a uid just released is not immediately reused while its files may linger
  private int next;

  UidAllocator(int base, int count) {
    this.base = base;
    this.count = count;
    this.used = new BitSet(count);
  }

  synchronized int allocate() {
    int i = used.nextClearBit(next);
    if (i >= count) {
      i = used.nextClearBit(0);
    }
    if (i >= count) {
      throw new SandboxException(
          "capacity_exhausted", "all " + count + " sandbox uids are in use", true);
    }
    used.set(i);
    next = (i + 1) % count;
    return base + i;
  }

  synchronized void release(int uid) {
    int i = uid - base;
    if (i >= 0 && i < count) {
      used.clear(i);
    }
  }

  synchronized int inUse() {
    return used.cardinality();
  }
}
