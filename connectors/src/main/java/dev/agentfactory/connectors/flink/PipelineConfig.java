package dev.agentfactory.connectors.flink;

import dev.agentfactory.connectors.kafka.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.util.ParameterTool;

/**
 * The pipeline job's program arguments, resolved and validated once: the one place that names them,
 * shared by the job that parses them and the edge that submits it.
 *
 * <pre>
 * --bootstrap-servers      Kafka bootstrap servers (required)
 * --output                 dataset root; the sft dataset goes to &lt;output&gt;/sft (required)
 * --topic                  input topic, default agent-factory.interactions
 * --dlq-topic              dead-letter topic, default agent-factory.interactions.dlq
 * --group-id               consumer group, default agent-factory-pipeline
 * --checkpoint-interval-ms checkpoint (and Parquet file commit) interval, default 2000
 * --eval-topic             live evaluation metrics topic, default agent-factory.eval.live
 * --eval-window-ms         evaluation window length, default 10000
 * --eval-slide-ms          how often a window closes (the metrics' refresh), default 1000
 * --judge-*                the LLM judge, off by default: see {@link JudgeConfig}
 * </pre>
 */
public record PipelineConfig(
    String bootstrapServers,
    String topic,
    String dlqTopic,
    String output,
    long checkpointIntervalMs,
    String groupId,
    String evalTopic,
    long evalWindowMs,
    long evalSlideMs,
    JudgeConfig judge) {

  /**
   * The name the pipeline job runs under in Flink: how a node finds the pipeline job another node
   * submitted to a shared cluster.
   */
  public static final String JOB_NAME = "agent-factory-interaction-pipeline";

  public static final String DEFAULT_GROUP_ID = "agent-factory-pipeline";
  public static final long DEFAULT_CHECKPOINT_INTERVAL_MS = 2000;
  public static final long DEFAULT_EVAL_WINDOW_MS = 10_000;
  public static final long DEFAULT_EVAL_SLIDE_MS = 1_000;

  /** The config with the default evaluation settings and the judge off. */
  public PipelineConfig(
      String bootstrapServers,
      String topic,
      String dlqTopic,
      String output,
      long checkpointIntervalMs,
      String groupId) {
    this(
        bootstrapServers,
        topic,
        dlqTopic,
        output,
        checkpointIntervalMs,
        groupId,
        Topics.EVAL_LIVE,
        DEFAULT_EVAL_WINDOW_MS,
        DEFAULT_EVAL_SLIDE_MS,
        JudgeConfig.off());
  }

  public PipelineConfig {
    requireText("--bootstrap-servers", bootstrapServers);
    requireText("--topic", topic);
    requireText("--dlq-topic", dlqTopic);
    requireText("--output", output);
    requireText("--group-id", groupId);
    requireText("--eval-topic", evalTopic);
    if (evalSlideMs < 100) {
      throw new IllegalArgumentException("--eval-slide-ms: must be >= 100 but was " + evalSlideMs);
    }
    if (evalWindowMs < evalSlideMs || evalWindowMs % evalSlideMs != 0) {
      throw new IllegalArgumentException(
          "--eval-window-ms: must be a multiple of --eval-slide-ms ("
              + evalSlideMs
              + ") but was "
              + evalWindowMs);
    }
    if (judge == null) {
      throw new IllegalArgumentException("--judge-endpoint: judge config is required");
    }
    if (checkpointIntervalMs < 10) {
      throw new IllegalArgumentException(
          "--checkpoint-interval-ms: must be >= 10 but was " + checkpointIntervalMs);
    }
  }

  /** Parses {@code --name value} arguments. */
  /** The arguments {@link #fromArgs} reads (and {@link #toArgs} writes), without the dashes. */
  static final Set<String> ARGS =
      Set.of(
          "bootstrap-servers",
          "topic",
          "dlq-topic",
          "output",
          "checkpoint-interval-ms",
          "group-id",
          "eval-topic",
          "eval-window-ms",
          "eval-slide-ms",
          "judge-endpoint",
          "judge-model",
          "judge-api-key-env",
          "judge-sample-rate",
          "judge-timeout-ms",
          "judge-max-concurrent");

  public static PipelineConfig fromArgs(String[] argv) {
    ParameterTool params = ParameterTool.fromArgs(argv);
    // A misspelt argument (--checkpoint-interval=500) must fail the job, not run it on defaults
    for (String name : params.toMap().keySet()) {
      if (!ARGS.contains(name)) {
        throw new IllegalArgumentException(
            "--" + name + ": not an argument of the pipeline job; known: " + new TreeSet<>(ARGS));
      }
    }
    JudgeConfig.Args args = params::get;
    String interval = params.get("checkpoint-interval-ms");
    long intervalMs;
    try {
      intervalMs = interval == null ? DEFAULT_CHECKPOINT_INTERVAL_MS : Long.parseLong(interval);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--checkpoint-interval-ms: not a number: '" + interval + "'", e);
    }
    return new PipelineConfig(
        params.get("bootstrap-servers"),
        Objects.requireNonNullElse(params.get("topic"), Topics.INTERACTIONS),
        Objects.requireNonNullElse(params.get("dlq-topic"), Topics.INTERACTIONS_DLQ),
        params.get("output"),
        intervalMs,
        Objects.requireNonNullElse(params.get("group-id"), DEFAULT_GROUP_ID),
        Objects.requireNonNullElse(params.get("eval-topic"), Topics.EVAL_LIVE),
        args.getLong("eval-window-ms", DEFAULT_EVAL_WINDOW_MS),
        args.getLong("eval-slide-ms", DEFAULT_EVAL_SLIDE_MS),
        JudgeConfig.fromArgs(args));
  }

  /** This config with another judge. */
  public PipelineConfig withJudge(JudgeConfig judge) {
    return new PipelineConfig(
        bootstrapServers,
        topic,
        dlqTopic,
        output,
        checkpointIntervalMs,
        groupId,
        evalTopic,
        evalWindowMs,
        evalSlideMs,
        judge);
  }

  /** This config with other evaluation window settings. */
  public PipelineConfig withEvalWindow(long windowMs, long slideMs) {
    return new PipelineConfig(
        bootstrapServers,
        topic,
        dlqTopic,
        output,
        checkpointIntervalMs,
        groupId,
        evalTopic,
        windowMs,
        slideMs,
        judge);
  }

  /** The program arguments that {@link #fromArgs} turns back into this config. */
  public List<String> toArgs() {
    List<String> args = new ArrayList<>();
    args.add("--bootstrap-servers");
    args.add(bootstrapServers);
    args.add("--topic");
    args.add(topic);
    args.add("--dlq-topic");
    args.add(dlqTopic);
    args.add("--output");
    args.add(output);
    args.add("--checkpoint-interval-ms");
    args.add(Long.toString(checkpointIntervalMs));
    args.add("--group-id");
    args.add(groupId);
    args.add("--eval-topic");
    args.add(evalTopic);
    args.add("--eval-window-ms");
    args.add(Long.toString(evalWindowMs));
    args.add("--eval-slide-ms");
    args.add(Long.toString(evalSlideMs));
    args.addAll(judge.toArgs());
    return args;
  }

  private static void requireText(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + ": is required");
    }
  }
}
