package dev.agentfactory.edge.model;

import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Sampling parameters; an empty value leaves the provider's default. Validated here so a bad value
 * fails before a request is built.
 */
public record ModelParameters(
    OptionalDouble temperature, OptionalDouble topP, OptionalInt maxTokens) {

  public static final ModelParameters DEFAULTS =
      new ModelParameters(OptionalDouble.empty(), OptionalDouble.empty(), OptionalInt.empty());

  public ModelParameters {
    if (temperature.isPresent()
        && !(temperature.getAsDouble() >= 0 && temperature.getAsDouble() <= 2)) {
      throw new IllegalArgumentException("temperature must be from 0 to 2");
    }
    if (topP.isPresent() && !(topP.getAsDouble() > 0 && topP.getAsDouble() <= 1)) {
      throw new IllegalArgumentException("top_p must be above 0 and at most 1");
    }
    if (maxTokens.isPresent() && maxTokens.getAsInt() <= 0) {
      throw new IllegalArgumentException("max_tokens must be a positive whole number");
    }
  }
}
