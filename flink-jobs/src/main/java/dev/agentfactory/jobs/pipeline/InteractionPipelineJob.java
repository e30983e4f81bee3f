package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.flink.JudgeConfig;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.jobs.eval.EvalAccumulator;
import dev.agentfactory.jobs.eval.EvalMetrics;
import dev.agentfactory.jobs.eval.EvalSample;
import dev.agentfactory.jobs.label.LabeledInteraction;
import dev.agentfactory.jobs.quality.QualityConfig;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.SlidingProcessingTimeWindows;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The interaction pipeline: Kafka → parse/validate (rejects → dead-letter topic) → PII scrubbing →
 * quality filter (drops counted per reason, see {@code docs/quality.md}) → rule labels → LLM judge
 * (async I/O, off by default, see {@code docs/labeling.md}) → one row operator and Parquet sink per
 * dataset kind ({@link DatasetSinks}: sft, preference, unpaired, rft, eval), exactly once (files
 * are committed on checkpoints). The online evaluation (sliding windows per agent version whose
 * metrics go to the eval topic, at least once; {@code docs/evaluation.md}) is fed by three paths
 * that never wait for one another: every scrubbed turn, rule-labelled, before deduplication and the
 * judge; the judge's verdicts, as samples of their own; and a safety scan of the raw events.
 *
 * <p>Every operator has a uid: the job switches auto-generated uids off, so an operator added
 * without one fails the build of the graph instead of silently changing uids under a savepoint.
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

  public static final String JOB_NAME = PipelineConfig.JOB_NAME;

  /**
   * The name and uid of the operator that parses records, whose counters the node reads by this
   * name ({@code PipelineMetrics}). The uid maps savepoint state: never change it.
   */
  public static final String PARSE_OPERATOR = "parse-interaction";

  /** The name and uid of the quality filter operator; as {@link #PARSE_OPERATOR}. */
  public static final String QUALITY_OPERATOR = "quality-filter";

  /** The name and uid of the judge operator; as {@link #PARSE_OPERATOR}. */
  public static final String JUDGE_OPERATOR = "judge-label";

  private final Source<KafkaRecord, ?, ?> source;
  private final DatasetSinks datasetSinks;
  private final Sink<DeadLetter> deadLetterSink;
  private final Sink<EvalMetrics> evalSink;
  private final PipelineConfig config;

  /**
   * @param config the judge and evaluation window settings (its Kafka and output settings are the
   *     sources' and sinks' business)
   */
  public InteractionPipelineJob(
      Source<KafkaRecord, ?, ?> source,
      DatasetSinks datasetSinks,
      Sink<DeadLetter> deadLetterSink,
      Sink<EvalMetrics> evalSink,
      PipelineConfig config) {
    this.source = source;
    this.datasetSinks = datasetSinks;
    this.deadLetterSink = deadLetterSink;
    this.evalSink = evalSink;
    this.config = config;
  }

  public static void main(String[] args) throws Exception {
    PipelineConfig config = PipelineConfig.fromArgs(args);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.enableCheckpointing(config.checkpointIntervalMs(), CheckpointingMode.EXACTLY_ONCE);
    new InteractionPipelineJob(
            kafkaSource(config),
            DatasetSinks.parquet(config.output()),
            deadLetterSink(config),
            evalSink(config),
            config)
        .build(env);
    env.execute(JOB_NAME);
  }

  /** Adds the pipeline to {@code env}. */
  public void build(StreamExecutionEnvironment env) {
    // The functions never mutate their input (records are immutable), so chained operators may
    // hand objects over without a defensive copy through the serializer.
    env.getConfig().enableObjectReuse();
    // Savepoints map state to operators by uid; a generated one changes with the graph's shape.
    env.getConfig().disableAutoGeneratedUIDs();

    SingleOutputStreamOperator<Interaction> parsed =
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "interactions-source")
            .uid("interactions-source")
            .name("interactions-source")
            .process(new ParseInteractionFunction())
            .returns(TypeInformation.of(Interaction.class))
            .uid(PARSE_OPERATOR)
            .name(PARSE_OPERATOR);

    parsed
        .getSideOutput(ParseInteractionFunction.DEAD_LETTERS)
        .sinkTo(deadLetterSink)
        .uid("dead-letter-sink")
        .name("dead-letter-sink");

    // uid "pii-scrub" replaces "email-mask": both are stateless, so a savepoint taken before the
    // change has no state for either and restores into this graph.
    PiiScrubFunction scrub = PiiScrubFunction.masking();
    SingleOutputStreamOperator<Interaction> scrubbed =
        parsed
            .map(scrub)
            .returns(TypeInformation.of(Interaction.class))
            .uid("pii-scrub")
            .name("pii-scrub");
    SingleOutputStreamOperator<Interaction> filtered =
        scrubbed
            // After the scrub, so dropped turns carry no PII and hashes do not depend on it; keyed
            // by tenant and agent so deduplication never crosses tenants. Drops are counted per
            // reason; the DROPPED side output is not sent to the dead-letter topic, whose contract
            // is the original bytes, replayable after a fix (docs/events.md), which a dropped turn
            // is not.
            .keyBy(QualityFilterFunction.KEY)
            .process(new QualityFilterFunction(QualityConfig.defaults()))
            .returns(TypeInformation.of(Interaction.class))
            .uid(QUALITY_OPERATOR)
            .name(QUALITY_OPERATOR);
    SingleOutputStreamOperator<LabeledInteraction> labeled =
        filtered
            .map(new RuleLabelFunction())
            .returns(TypeInformation.of(LabeledInteraction.class))
            .uid("rule-label")
            .name("rule-label");

    // Always in the graph, a pass-through when the judge is off, so switching it on or off keeps
    // savepoints compatible. The timeout fires after the HTTP client's own, as a backstop.
    JudgeConfig judge = config.judge();
    SingleOutputStreamOperator<LabeledInteraction> judged =
        AsyncDataStream.unorderedWait(
                labeled,
                new JudgeFunction(judge),
                judge.timeoutMs() + 1_000,
                TimeUnit.MILLISECONDS,
                judge.maxConcurrent())
            .returns(TypeInformation.of(LabeledInteraction.class))
            .uid(JUDGE_OPERATOR)
            .name(JUDGE_OPERATOR);

    // An eval mark on one of a group of duplicates withdraws the group's other turns too: only the
    // quality filter knows the group (docs/quality.md, "Eval marks on duplicates").
    datasetSinks.attach(
        judged,
        filtered.getSideOutput(QualityFilterFunction.EVAL_TWIN_WITHDRAWALS),
        scrub.policy().version());

    // The evaluation counts every scrubbed turn, before the quality filter: deduplication is
    // scoped to tenant and agent, so a new version's turn that repeats an old version's would be
    // missing from the new version's metrics; and before the judge, whose async queue holds a
    // sampled turn up to its timeout. The judge's verdicts follow as samples of their own. uid
    // "eval-sample" is the stateless operator that used to map the judged stream.
    DataStream<EvalSample> turns =
        scrubbed
            .flatMap(new TurnSampleFunction())
            .returns(TypeInformation.of(EvalSample.class))
            .uid("eval-sample")
            .name("eval-sample");
    DataStream<EvalSample> verdicts =
        judged
            .flatMap(new JudgeSampleFunction())
            .returns(TypeInformation.of(EvalSample.class))
            .uid("eval-judge-sample")
            .name("eval-judge-sample");
    DataStream<EvalSample> safety =
        parsed
            .flatMap(new SafetyScanFunction())
            .returns(TypeInformation.of(EvalSample.class))
            .uid("safety-scan")
            .name("safety-scan");
    // Processing time: the metrics describe what the pipeline saw in the last window, refreshed
    // every slide, whatever the events' own timestamps (no watermarks to wait for).
    turns
        .union(verdicts, safety)
        .keyBy(EvalSample::key)
        .window(
            SlidingProcessingTimeWindows.of(
                Duration.ofMillis(config.evalWindowMs()), Duration.ofMillis(config.evalSlideMs())))
        .aggregate(
            new EvalAggregateFunction(),
            new EvalWindowFunction(),
            TypeInformation.of(EvalAccumulator.class),
            TypeInformation.of(EvalAccumulator.class),
            TypeInformation.of(EvalMetrics.class))
        .uid("eval-window")
        .name("eval-window")
        .sinkTo(evalSink)
        .uid("eval-sink")
        .name("eval-sink");
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

  /** Metrics to the eval topic; a duplicate after a restart is a repeated snapshot, harmless. */
  static KafkaSink<EvalMetrics> evalSink(PipelineConfig config) {
    return KafkaSink.<EvalMetrics>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setRecordSerializer(new EvalMetricsSerializer(config.evalTopic()))
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
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
