package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.kafka.DeadLetters;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes a {@link DeadLetter} as the original key and value plus the reason headers. */
final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
  private static final long serialVersionUID = 1L;

  private final String topic;

  DeadLetterSerializer(String topic) {
    this.topic = topic;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      DeadLetter letter, KafkaSinkContext context, Long timestamp) {
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(topic, null, timestamp, letter.key(), letter.value());
    record.headers().add(DeadLetters.REASON_HEADER, utf8(letter.reason()));
    record.headers().add(DeadLetters.FIELD_HEADER, utf8(letter.field()));
    record.headers().add(DeadLetters.ORIGIN_HEADER, utf8(letter.origin()));
    return record;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
