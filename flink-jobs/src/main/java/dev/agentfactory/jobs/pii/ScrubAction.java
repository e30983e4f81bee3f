package dev.agentfactory.jobs.pii;

/** What a scrubber does with a span of one entity type. */
public enum ScrubAction {
  /** Replace by the type's mask, e.g. {@code <EMAIL_ADDRESS>}. */
  MASK,
  /** Remove the span. */
  REDACT,
  /**
   * Replace by a keyed hash of the value, e.g. {@code <EMAIL_ADDRESS#3f2a9c1b7d0e>}: equal values
   * give equal hashes everywhere, so rows can still be joined on them; needs a key.
   */
  HASH,
  /**
   * Replace by a fake value of the same type derived from a keyed hash of the conversation and the
   * value, e.g. {@code user-3f2a9c1b@example.invalid}: consistent within a conversation, unlinkable
   * across conversations; needs a key.
   */
  PSEUDONYMISE,
  /** Leave the value; the span is still reported. */
  KEEP;

  boolean needsKey() {
    return this == HASH || this == PSEUDONYMISE;
  }
}
