package dev.agentfactory.sandbox;

import java.util.Map;

/**
 * A snapshot of a pool.
 *
 * @param isolation the isolation level the pool's sandboxes run at, e.g. {@code namespace}
 * @param ready warm sandboxes per template, ready to lease
 * @param leased leased sandboxes per template
 * @param target warm-pool target per template
 */
public record PoolStats(
    String isolation,
    Map<String, Integer> ready,
    Map<String, Integer> leased,
    Map<String, Integer> target) {

  public PoolStats {
    ready = Map.copyOf(ready);
    leased = Map.copyOf(leased);
    target = Map.copyOf(target);
  }
}
