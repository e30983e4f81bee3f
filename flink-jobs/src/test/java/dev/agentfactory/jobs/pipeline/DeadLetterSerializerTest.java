package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.kafka.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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

    int size = record.key().length + record.value().length;
    for (Header h : record.headers()) {
      size += h.key().length() + h.value().length;
    }
    assertThat(size).isLessThanOrEqualTo(DeadLetterSerializer.MAX_RECORD_BYTES);
    assertThat(header(record, DeadLetters.TRUNCATED_HEADER))
        .isEqualTo(Integer.toString(value.length));
    assertThat(record.value()).hasSizeGreaterThan(DeadLetterSerializer.MAX_RECORD_BYTES - 2_000);
    assertThat(header(record, DeadLetters.ORIGIN_HEADER)).isEqualTo("in/0/9");
  }

  private static String header(ProducerRecord<byte[], byte[]> record, String key) {
    return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
  }
}
