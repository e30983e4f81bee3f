package dev.agentfactory.cluster.pool;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;

/**
 * Splits a cluster-wide target across nodes in proportion to their capacity (largest remainder:
 * shares add up to the total exactly; ties go to the node id that sorts first). Every node computes
 * the same split from the same advertised view, so no coordinator is needed.
 */
public final class TargetSplit {

  private TargetSplit() {}

  /**
   * @param capacities node id to capacity, only the nodes that take a share
   * @return node id to its share; empty when no node takes a share
   */
  public static Map<String, Integer> split(int total, SortedMap<String, Integer> capacities) {
    Map<String, Integer> shares = new LinkedHashMap<>();
    long sum = capacities.values().stream().mapToLong(Integer::longValue).sum();
    if (sum == 0) {
      return shares;
    }
    int given = 0;
    Map<String, Long> remainders = new LinkedHashMap<>();
    for (Map.Entry<String, Integer> node : capacities.entrySet()) {
      long scaled = (long) total * node.getValue();
      int share = (int) (scaled / sum);
      shares.put(node.getKey(), share);
      remainders.put(node.getKey(), scaled % sum);
      given += share;
    }
    int left = total - given;
    while (left > 0) {
      String best = null;
      long bestRemainder = -1;
      for (Map.Entry<String, Long> r : remainders.entrySet()) {
        if (r.getValue() > bestRemainder) {
          best = r.getKey();
          bestRemainder = r.getValue();
        }
      }
      shares.merge(best, 1, Integer::sum);
      remainders.put(best, -1L);
      left--;
    }
    return shares;
  }
}
