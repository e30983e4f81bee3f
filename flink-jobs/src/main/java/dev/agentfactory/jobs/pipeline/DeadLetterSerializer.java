package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.kafka.DeadLetters;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Writes a {@link DeadLetter} as the original key and value plus the reason headers.
 *
 * <p>Every dead letter must fit in one Kafka record: one the producer refuses ({@code
 * RecordTooLargeException}) fails the job, which then replays the same bad event forever and
 * commits no dataset file again. So the reason and field headers are capped at {@link
 * DeadLetters#MAX_HEADER_BYTES}, the key at {@link DeadLetters#MAX_KEY_BYTES} (with {@link
 * DeadLetters#KEY_TRUNCATED_HEADER}: a key near the limit would otherwise leave no room for the
 * value, or make the record too large whatever the value), and a value that would not fit next to
 * them is cut, with {@link DeadLetters#TRUNCATED_HEADER} saying so.
 */
final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
  private static final long serialVersionUID = 1L;

  /**
   * The most a dead letter's key, value and headers may add up to: below the producer's default
   * {@code max.request.size} (1048576) and the broker's default {@code message.max.bytes}
   * (1048588), leaving room for the record and batch framing.
   */
  static final int MAX_RECORD_BYTES = 1_000_000;

  private static final byte[] ELLIPSIS = "…".getBytes(StandardCharsets.UTF_8);

  private final String topic;
  private final int maxRecordBytes;

  DeadLetterSerializer(String topic) {
    this(topic, MAX_RECORD_BYTES);
  }

  DeadLetterSerializer(String topic, int maxRecordBytes) {
    this.topic = topic;
    this.maxRecordBytes = maxRecordBytes;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      DeadLetter letter, KafkaSinkContext context, Long timestamp) {
    byte[] key = bounded(letter.key());
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(topic, null, timestamp, key, letter.value());
    record.headers().add(DeadLetters.REASON_HEADER, capped(letter.reason()));
    record.headers().add(DeadLetters.FIELD_HEADER, capped(letter.field()));
    record.headers().add(DeadLetters.ORIGIN_HEADER, utf8(letter.origin()));
    if (key != letter.key()) {
      record
          .headers()
          .add(DeadLetters.KEY_TRUNCATED_HEADER, utf8(Integer.toString(letter.key().length)));
    }
    byte[] value = letter.value();
    if (value == null) {
      return record;
    }
    int room = maxRecordBytes - size(key) - headerBytes(record) - truncatedHeaderBytes(value);
    if (value.length <= room) {
      return record;
    }
    ProducerRecord<byte[], byte[]> cut =
        new ProducerRecord<>(
            topic, null, timestamp, key, Arrays.copyOf(value, Math.max(0, room)), record.headers());
    cut.headers().add(DeadLetters.TRUNCATED_HEADER, utf8(Integer.toString(value.length)));
    return cut;
  }

  private static int headerBytes(ProducerRecord<byte[], byte[]> record) {
    int bytes = 0;
    for (Header h : record.headers()) {
      bytes += utf8(h.key()).length + size(h.value());
    }
    return bytes;
  }

  private static int truncatedHeaderBytes(byte[] value) {
    return DeadLetters.TRUNCATED_HEADER.length() + Integer.toString(value.length).length();
  }

  private static int size(byte[] bytes) {
    return bytes == null ? 0 : bytes.length;
  }

  /**
   * {@code key} itself up to {@link DeadLetters#MAX_KEY_BYTES}; a longer one as its first bytes
   * (not ending inside a UTF-8 character), {@code …} and the SHA-256 of the whole key in hex: the
   * same original key always gives the same dead-letter key, and two long keys that only differ
   * after their first kilobyte give different ones.
   */
  static byte[] bounded(byte[] key) {
    if (key == null || key.length <= DeadLetters.MAX_KEY_BYTES) {
      return key;
    }
    byte[] suffix;
    try {
      suffix =
          utf8("…" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    int prefix = DeadLetters.MAX_KEY_BYTES - suffix.length;
    while (prefix > 0 && (key[prefix] & 0xC0) == 0x80) {
      prefix--; // key[prefix] continues a character that would be cut
    }
    byte[] out = Arrays.copyOf(key, prefix + suffix.length);
    System.arraycopy(suffix, 0, out, prefix, suffix.length);
    return out;
  }

  /** {@code s} in UTF-8, cut at a character boundary to end in {@code …} if it is too long. */
  static byte[] capped(String s) {
    byte[] bytes = utf8(s);
    if (bytes.length <= DeadLetters.MAX_HEADER_BYTES) {
      return bytes;
    }
    CharsetEncoder encoder =
        StandardCharsets.UTF_8
            .newEncoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    ByteBuffer out = ByteBuffer.allocate(DeadLetters.MAX_HEADER_BYTES);
    out.limit(DeadLetters.MAX_HEADER_BYTES - ELLIPSIS.length);
    // stops before the first character that does not fit whole
    encoder.encode(CharBuffer.wrap(s), out, true);
    out.limit(DeadLetters.MAX_HEADER_BYTES);
    out.put(ELLIPSIS);
    return Arrays.copyOf(out.array(), out.position());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
