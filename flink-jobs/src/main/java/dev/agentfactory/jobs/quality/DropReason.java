package dev.agentfactory.jobs.quality;

import java.util.Locale;

/** Why the quality filter dropped an interaction. Documented in {@code docs/quality.md}. */
public enum DropReason {
  /** No non-blank user, assistant or tool content. */
  EMPTY,
  /** Total content over {@link QualityConfig#maxContentBytes()}. */
  OVERSIZED,
  /** Mostly non-printable or replacement characters, or no letter or digit at all. */
  GARBAGE,
  /** Too many U+FFFD replacement characters or mojibake pairs such as {@code Ã©}. */
  ENCODING_JUNK,
  /** A message or tool output dominated by one repeated line or word n-gram. */
  REPETITION,
  /** The same normalised content was kept before under the same tenant and agent. */
  DUPLICATE,
  /** A MinHash-estimated Jaccard similarity to a kept turn of the same tenant and agent. */
  NEAR_DUPLICATE;

  /** The counter name, e.g. {@code quality_dropped_near_duplicate}. */
  public String metricName() {
    return "quality_dropped_" + name().toLowerCase(Locale.ROOT);
  }
}
