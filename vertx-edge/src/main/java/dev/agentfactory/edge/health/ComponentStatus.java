package dev.agentfactory.edge.health;

import java.util.Map;

/**
 * The state of one component of a node.
 *
 * @param state {@code UP}, {@code STARTING}, {@code DOWN}, {@code DEGRADED} for a component that
 *     works but not as it should ({@code detail.reason} says why; healthy: the node still serves),
 *     or {@code OFF} for a component this node was configured not to run (healthy: nothing is
 *     expected of it)
 * @param detail what an operator needs to know: addresses, counts, or the reason it is not up
 */
public record ComponentStatus(State state, Map<String, Object> detail) {

  public enum State {
    UP,
    STARTING,
    DOWN,
    DEGRADED,
    OFF
  }

  public ComponentStatus {
    detail = Map.copyOf(detail);
  }

  public static ComponentStatus up(Map<String, Object> detail) {
    return new ComponentStatus(State.UP, detail);
  }

  /** Turned off by configuration; {@code detail} says what the node does without it. */
  public static ComponentStatus off(Map<String, Object> detail) {
    return new ComponentStatus(State.OFF, detail);
  }

  /**
   * Up, degraded, or deliberately off: nothing about this component keeps the node from serving.
   */
  public boolean isHealthy() {
    return state == State.UP || state == State.DEGRADED || state == State.OFF;
  }

  public static ComponentStatus starting() {
    return new ComponentStatus(State.STARTING, Map.of());
  }

  public static ComponentStatus down(String reason) {
    return new ComponentStatus(State.DOWN, Map.of("reason", reason));
  }
}
