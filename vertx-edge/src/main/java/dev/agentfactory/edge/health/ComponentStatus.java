package dev.agentfactory.edge.health;

import java.util.Map;

/**
 * The state of one component of a node.
 *
 * @param state {@code UP}, {@code STARTING} or {@code DOWN}
 * @param detail what an operator needs to know: addresses, counts, or the reason it is not up
 */
public record ComponentStatus(State state, Map<String, Object> detail) {

  public enum State {
    UP,
    STARTING,
    DOWN
  }

  public ComponentStatus {
    detail = Map.copyOf(detail);
  }

  public static ComponentStatus up(Map<String, Object> detail) {
    return new ComponentStatus(State.UP, detail);
  }

  public static ComponentStatus starting() {
    return new ComponentStatus(State.STARTING, Map.of());
  }

  public static ComponentStatus down(String reason) {
    return new ComponentStatus(State.DOWN, Map.of("reason", reason));
  }
}
