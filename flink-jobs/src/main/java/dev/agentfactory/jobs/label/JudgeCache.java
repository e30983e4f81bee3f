package dev.agentfactory.jobs.label;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A bounded least-recently-used map from cache key ({@link JudgeRubric#cacheKey}) to verdict.
 * Thread-safe: the judge's HTTP callbacks fill it from the client's threads.
 */
public final class JudgeCache {

  private final int capacity;
  private final LinkedHashMap<String, JudgeVerdict> entries;

  public JudgeCache(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity: must be >= 1 but was " + capacity);
    }
    this.capacity = capacity;
    this.entries = new LinkedHashMap<>(16, 0.75f, true);
  }

  public synchronized JudgeVerdict get(String key) {
    return entries.get(key);
  }

  public synchronized void put(String key, JudgeVerdict verdict) {
    entries.put(key, verdict);
    if (entries.size() > capacity) {
      entries.remove(entries.keySet().iterator().next());
    }
  }

  public synchronized int size() {
    return entries.size();
  }

  /** The entries, least recently used first (what a checkpoint stores). */
  public synchronized List<Map.Entry<String, JudgeVerdict>> snapshot() {
    List<Map.Entry<String, JudgeVerdict>> copy = new ArrayList<>(entries.size());
    entries.forEach((k, v) -> copy.add(Map.entry(k, v)));
    return copy;
  }
}
