package dev.agentfactory.jobs.pipeline;

import java.util.Locale;

/**
 * What kind of rejection a {@link DeadLetter} is: a bounded set, unlike its free-text reason, so
 * each kind has a counter of its own. Documented in {@code docs/events.md}.
 */
public enum DeadLetterKind {
  /** The document itself cannot be read: an empty payload, no JSON, or JSON that is no object. */
  MALFORMED,
  /** A JSON object that breaks the schema: a field missing, of the wrong type or out of range. */
  INVALID,
  /** Parsing threw what it never should, a bug of the codec (field {@code $}). */
  UNEXPECTED;

  /** The counter name, e.g. {@code dead_letters_malformed}. */
  public String metricName() {
    return "dead_letters_" + name().toLowerCase(Locale.ROOT);
  }
}
