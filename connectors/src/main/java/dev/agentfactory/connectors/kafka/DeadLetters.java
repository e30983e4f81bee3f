package dev.agentfactory.connectors.kafka;

/**
 * Layout of a dead-letter record: the value and key are the original bytes, untouched (unless too
 * large, see {@link #TRUNCATED_HEADER} and {@link #KEY_TRUNCATED_HEADER}), and the headers say why
 * and where it came from (the Kafka Connect convention), so a fixed event can be replayed as is.
 */
public final class DeadLetters {

  /** Why the event was rejected, e.g. {@code messages[0].role: is required}. */
  public static final String REASON_HEADER = "af.dlq.reason";

  /** The offending JSON field, e.g. {@code messages[0].role}. */
  public static final String FIELD_HEADER = "af.dlq.field";

  /** {@code topic/partition/offset} of the original record. */
  public static final String ORIGIN_HEADER = "af.dlq.origin";

  /**
   * Present only when the original value was too large to forward whole next to the headers: the
   * value is then its first bytes, and this header holds the original length in bytes (decimal).
   * Such a dead letter cannot be replayed as is; fetch the original from {@link #ORIGIN_HEADER}.
   */
  public static final String TRUNCATED_HEADER = "af.dlq.truncated";

  /**
   * Present only when the original key was longer than {@link #MAX_KEY_BYTES}: the key is then its
   * first bytes, {@code …} and the SHA-256 (hex) of the whole key, and this header holds the
   * original key's length in bytes (decimal). Fetch the original key from {@link #ORIGIN_HEADER}.
   */
  public static final String KEY_TRUNCATED_HEADER = "af.dlq.key.truncated";

  /** The longest a reason or field header gets, in UTF-8 bytes; longer ones end in {@code …}. */
  public static final int MAX_HEADER_BYTES = 1024;

  /**
   * The longest a dead letter's key gets, in bytes; a longer original key is replaced (see {@link
   * #KEY_TRUNCATED_HEADER}), so that it cannot crowd the value out of the record.
   */
  public static final int MAX_KEY_BYTES = 1024;

  private DeadLetters() {}
}
