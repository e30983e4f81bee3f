package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.kafka.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

class DeadLetterSerializerTest {

  private final DeadLetterSerializer serializer = new DeadLetterSerializer("dlq");

  @Test
  void aSmallDeadLetterKeepsItsValueAndHeadersWhole() {
    byte[] value = "{\"event_id\":\"nope\"}".getBytes(StandardCharsets.UTF_8);
    ProducerRecord<byte[], byte[]> record =
        serializer.serialize(
            new DeadLetter(
                "k".getBytes(), value, "event_id", "event_id: not a UUID: 'nope'", "in/0/3"),
            null,
            5L);

    assertThat(record.topic()).isEqualTo("dlq");
    assertThat(record.value()).isEqualTo(value);
    assertThat(header(record, DeadLetters.REASON_HEADER)).isEqualTo("event_id: not a UUID: 'nope'");
    assertThat(header(record, DeadLetters.FIELD_HEADER)).isEqualTo("event_id");
    assertThat(header(record, DeadLetters.ORIGIN_HEADER)).isEqualTo("in/0/3");
    assertThat(record.headers().lastHeader(DeadLetters.TRUNCATED_HEADER)).isNull();
  }

  @Test
  void aLongReasonIsCutToTheHeaderLimitAtACharacterBoundary() {
    String reason = "event_id: not a UUID: '" + "é".repeat(5_000) + "'";
    ProducerRecord<byte[], byte[]> record =
        serializer.serialize(
            new DeadLetter(null, new byte[10], "event_id", reason, "in/0/1"), null, 1L);

    byte[] header = record.headers().lastHeader(DeadLetters.REASON_HEADER).value();
    assertThat(header.length).isLessThanOrEqualTo(DeadLetters.MAX_HEADER_BYTES);
    String text = new String(header, StandardCharsets.UTF_8);
    assertThat(text)
        .startsWith("event_id: not a UUID: 'éé")
        .endsWith("é…")
        .doesNotContain("\uFFFD");
  }

  @Test
  void aValueThatWouldNotFitNextToItsHeadersIsCutAndMarkedTruncated() {
    byte[] value = new byte[DeadLetterSerializer.MAX_RECORD_BYTES];
    Arrays.fill(value, (byte) 'x');
    String reason = "event_id: not a UUID: '" + "x".repeat(600_000) + "'";
    ProducerRecord<byte[], byte[]> record =
        serializer.serialize(
            new DeadLetter("key".getBytes(), value, "event_id", reason, "in/0/9"), null, 1L);

    assertThat(recordBytes(record)).isLessThanOrEqualTo(DeadLetterSerializer.MAX_RECORD_BYTES);
    assertThat(header(record, DeadLetters.TRUNCATED_HEADER))
        .isEqualTo(Integer.toString(value.length));
    assertThat(record.value()).hasSizeGreaterThan(DeadLetterSerializer.MAX_RECORD_BYTES - 2_000);
    assertThat(header(record, DeadLetters.ORIGIN_HEADER)).isEqualTo("in/0/9");
  }

  @Test
  void aKeyNearTheRecordLimitIsBoundedAndTheValueStaysWhole() {
    byte[] key = "s".repeat(1_040_000).getBytes(StandardCharsets.UTF_8);
    byte[] value =
        "{\"schema_version\": 1, \"event_id\": \"nope\"}".getBytes(StandardCharsets.UTF_8);
    ProducerRecord<byte[], byte[]> record =
        serializer.serialize(
            new DeadLetter(key, value, "event_id", "event_id: not a UUID: 'nope'", "in/0/7"),
            null,
            1L);

    assertThat(record.key().length).isLessThanOrEqualTo(DeadLetters.MAX_KEY_BYTES);
    assertThat(new String(record.key(), StandardCharsets.UTF_8))
        .startsWith("sss")
        .endsWith("…" + sha256Hex(key));
    assertThat(header(record, DeadLetters.KEY_TRUNCATED_HEADER)).isEqualTo("1040000");
    assertThat(record.value()).as("the rejected event, whole").isEqualTo(value);
    assertThat(record.headers().lastHeader(DeadLetters.TRUNCATED_HEADER)).isNull();
    assertThat(header(record, DeadLetters.REASON_HEADER)).isEqualTo("event_id: not a UUID: 'nope'");
    assertThat(recordBytes(record)).isLessThanOrEqualTo(DeadLetterSerializer.MAX_RECORD_BYTES);
  }

  @Test
  void aBoundedKeyIsStableAndTellsKeysApartThatDifferOnlyAtTheirEnd() {
    byte[] sessionId = "sess-7f3a".getBytes(StandardCharsets.UTF_8);
    byte[] longA = ("é".repeat(600_000) + "a").getBytes(StandardCharsets.UTF_8);
    byte[] longB = ("é".repeat(600_000) + "b").getBytes(StandardCharsets.UTF_8);

    assertThat(keyOf(sessionId)).as("a normal id, untouched").isEqualTo(sessionId);
    assertThat(keyOf(longA).length).isLessThanOrEqualTo(DeadLetters.MAX_KEY_BYTES);
    assertThat(keyOf(longA)).isEqualTo(keyOf(longA.clone())).isNotEqualTo(keyOf(longB));
    assertThat(new String(keyOf(longA), StandardCharsets.UTF_8))
        .as("cut between characters")
        .startsWith("éé")
        .doesNotContain("\uFFFD");
  }

  private byte[] keyOf(byte[] key) {
    ProducerRecord<byte[], byte[]> record =
        serializer.serialize(new DeadLetter(key, new byte[1], "$", "$: x", "in/0/1"), null, 1L);
    assertThat(record.headers().lastHeader(DeadLetters.KEY_TRUNCATED_HEADER) != null)
        .as("marked as cut")
        .isEqualTo(key.length > DeadLetters.MAX_KEY_BYTES);
    return record.key();
  }

  private static int recordBytes(ProducerRecord<byte[], byte[]> record) {
    int size = record.key().length + record.value().length;
    for (Header h : record.headers()) {
      size += h.key().length() + h.value().length;
    }
    return size;
  }

  private static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static String header(ProducerRecord<byte[], byte[]> record, String key) {
    return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
  }
}
