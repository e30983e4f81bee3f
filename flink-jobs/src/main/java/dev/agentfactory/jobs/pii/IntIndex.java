package dev.agentfactory.jobs.pii;

import java.util.Arrays;

/**
 * An open-addressing map from int keys (feature hashes) to dense row numbers 0, 1, 2, …: the
 * tagger's feature dictionary. Lookups allocate nothing; {@link #add} grows the table.
 */
final class IntIndex {

  private int[] keys;
  private int[] rows;
  private int size;
  private int mask;

  IntIndex(int expected) {
    int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    keys = new int[cap];
    rows = new int[cap];
    Arrays.fill(rows, -1);
    mask = cap - 1;
  }

  int size() {
    return size;
  }

  /** The row of {@code key}, or -1. */
  int get(int key) {
    int i = spread(key) & mask;
    while (true) {
      int r = rows[i];
      if (r < 0) {
        return -1;
      }
      if (keys[i] == key) {
        return r;
      }
      i = (i + 1) & mask;
    }
  }

  /** The row of {@code key}, adding it as the next row if absent. */
  int add(int key) {
    int i = spread(key) & mask;
    while (true) {
      int r = rows[i];
      if (r < 0) {
        keys[i] = key;
        rows[i] = size;
        if (++size * 2 > keys.length) {
          grow();
        }
        return size - 1;
      }
      if (keys[i] == key) {
        return r;
      }
      i = (i + 1) & mask;
    }
  }

  /** The keys in row order. */
  int[] keysByRow() {
    int[] out = new int[size];
    for (int i = 0; i < keys.length; i++) {
      if (rows[i] >= 0) {
        out[rows[i]] = keys[i];
      }
    }
    return out;
  }

  private void grow() {
    int[] oldKeys = keys;
    int[] oldRows = rows;
    keys = new int[oldKeys.length * 2];
    rows = new int[oldKeys.length * 2];
    Arrays.fill(rows, -1);
    mask = keys.length - 1;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldRows[i] >= 0) {
        int j = spread(oldKeys[i]) & mask;
        while (rows[j] >= 0) {
          j = (j + 1) & mask;
        }
        keys[j] = oldKeys[i];
        rows[j] = oldRows[i];
      }
    }
  }

  private static int spread(int h) {
    return (h ^ (h >>> 16)) * 0x45D9F3B;
  }
}
