package dev.agentfactory.connectors.dataset;

import java.util.Objects;

/**
 * A numeric score of an example, an element of the {@code scores} column, e.g. the judge's {@code
 * judge_score} in [0, 1].
 */
public record Score(String name, double value) {

  public Score {
    Objects.requireNonNull(name, "name");
    if (Double.isNaN(value)) {
      throw new IllegalArgumentException("value: NaN for score " + name);
    }
  }
}
