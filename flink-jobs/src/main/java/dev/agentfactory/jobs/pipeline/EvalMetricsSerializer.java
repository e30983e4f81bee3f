package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.jobs.eval.EvalMetrics;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes metrics as JSON keyed by {@code <tenant>/<agent>/<version>} (docs/evaluation.md). */
public final class EvalMetricsSerializer implements KafkaRecordSerializationSchema<EvalMetrics> {
  private static final long serialVersionUID = 1L;

  private final String topic;

  public EvalMetricsSerializer(String topic) {
    this.topic = topic;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      EvalMetrics metrics, KafkaSinkContext context, Long timestamp) {
    return new ProducerRecord<>(
        topic, metrics.key().getBytes(StandardCharsets.UTF_8), metrics.toJson());
  }
}
