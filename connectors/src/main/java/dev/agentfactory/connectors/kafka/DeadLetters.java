package dev.agentfactory.connectors.kafka;

/**
 * Layout of a dead-letter record: the value and key are the original bytes, untouched, and the
 * headers say why and where it came from (the Kafka Connect convention), so a fixed event can be
 * replayed as is.
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

  /** The longest a reason or field header gets, in UTF-8 bytes; longer ones end in {@code …}. */
  public static final int MAX_HEADER_BYTES = 1024;

  private DeadLetters() {}
}
