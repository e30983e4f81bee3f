package dev.agentfactory.connectors.dataset;

import java.util.Objects;

/**
 * One element of the {@code scores} column: a numeric verdict on a row; same fields as {@link
 * Label} with a number for a value.
 */
public record Score(
    String name,
    double value,
    String source,
    String model,
    String rubricVersion,
    boolean degraded) {

  public Score {
    Objects.requireNonNull(name, "scores.name");
    Objects.requireNonNull(source, "scores.source");
  }
}
