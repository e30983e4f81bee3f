package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.jobs.quality.QualityConfig;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The interaction pipeline: Kafka → parse/validate (rejects → dead-letter topic) → PII scrubbing →
 * quality filter (drops counted per reason, see {@code docs/quality.md}) → one row operator and
 * Parquet sink per dataset kind ({@link DatasetSinks}: sft, preference, unpaired, rft, eval),
 * exactly once (files are committed on checkpoints).
 *
 * <p>Submit the shaded job jar to any Flink cluster, e.g. through REST:
 *
 * <pre>
 * POST /jars/{id}/run {"programArgsList": ["--bootstrap-servers", "localhost:9092",
 *                                          "--output", "/data/datasets"]}
 * </pre>
 *
 * The arguments are documented in {@link PipelineConfig}. Tests build the job with their own source
 * and sinks through the constructor.
 */
public final class InteractionPipelineJob {

  public static final String JOB_NAME = "agent-factory-interaction-pipeline";

  private final Source<KafkaRecord, ?, ?> source;
  private final DatasetSinks datasetSinks;
  private final Sink<DeadLetter> deadLetterSink;

  public InteractionPipelineJob(
      Source<KafkaRecord, ?, ?> source,
      DatasetSinks datasetSinks,
      Sink<DeadLetter> deadLetterSink) {
    this.source = source;
    this.datasetSinks = datasetSinks;
    this.deadLetterSink = deadLetterSink;
  }

  public static void main(String[] args) throws Exception {
    PipelineConfig config = PipelineConfig.fromArgs(args);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.enableCheckpointing(config.checkpointIntervalMs(), CheckpointingMode.EXACTLY_ONCE);
    new InteractionPipelineJob(
            kafkaSource(config), DatasetSinks.parquet(config.output()), deadLetterSink(config))
        .build(env);
    env.execute(JOB_NAME);
  }

  /** Adds the pipeline to {@code env}. */
  public void build(StreamExecutionEnvironment env) {
    // The functions never mutate their input (records are immutable), so chained operators may
    // hand objects over without a defensive copy through the serializer.
    env.getConfig().enableObjectReuse();

    SingleOutputStreamOperator<Interaction> parsed =
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "interactions-source")
            .uid("interactions-source")
            .name("interactions-source")
            .process(new ParseInteractionFunction())
            .returns(TypeInformation.of(Interaction.class))
            .uid("parse-interaction")
            .name("parse-interaction");

    parsed
        .getSideOutput(ParseInteractionFunction.DEAD_LETTERS)
        .sinkTo(deadLetterSink)
        .uid("dead-letter-sink")
        .name("dead-letter-sink");

    // uid "pii-scrub" replaces "email-mask": both are stateless, so a savepoint taken before the
    // change has no state for either and restores into this graph.
    PiiScrubFunction scrub = PiiScrubFunction.masking();
    SingleOutputStreamOperator<Interaction> filtered =
        parsed
            .map(scrub)
            .returns(TypeInformation.of(Interaction.class))
            .uid("pii-scrub")
            .name("pii-scrub")
            // After the scrub, so dropped turns carry no PII and hashes do not depend on it; keyed
            // by tenant and agent so deduplication never crosses tenants. Drops are counted per
            // reason; the DROPPED side output is not sent to the dead-letter topic, whose contract
            // is the original bytes, replayable after a fix (docs/events.md), which a dropped turn
            // is not.
            .keyBy(QualityFilterFunction.KEY)
            .process(new QualityFilterFunction(QualityConfig.defaults()))
            .returns(TypeInformation.of(Interaction.class))
            .uid("quality-filter")
            .name("quality-filter");

    datasetSinks.attach(filtered, scrub.policy().version());
  }

  /** Reads from the committed offsets of the group, from the earliest offset if there are none. */
  // OffsetResetStrategy is deprecated in kafka-clients 4 but is what the connector's API takes.
  @SuppressWarnings("deprecation")
  static KafkaSource<KafkaRecord> kafkaSource(PipelineConfig config) {
    return KafkaSource.<KafkaRecord>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setTopics(config.topic())
        .setGroupId(config.groupId())
        .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
        .setDeserializer(new KafkaRecordDeserializer())
        .build();
  }

  static KafkaSink<DeadLetter> deadLetterSink(PipelineConfig config) {
    return KafkaSink.<DeadLetter>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setRecordSerializer(new DeadLetterSerializer(config.dlqTopic()))
        // A duplicate dead letter after a restart is harmless; no transactions needed.
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .build();
  }
}
