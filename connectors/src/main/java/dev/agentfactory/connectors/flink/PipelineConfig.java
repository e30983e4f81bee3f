package dev.agentfactory.connectors.flink;

import dev.agentfactory.connectors.kafka.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
 * </pre>
 */
public record PipelineConfig(
    String bootstrapServers,
    String topic,
    String dlqTopic,
    String output,
    long checkpointIntervalMs,
    String groupId) {

  public static final String DEFAULT_GROUP_ID = "agent-factory-pipeline";
  public static final long DEFAULT_CHECKPOINT_INTERVAL_MS = 2000;

  public PipelineConfig {
    requireText("--bootstrap-servers", bootstrapServers);
    requireText("--topic", topic);
    requireText("--dlq-topic", dlqTopic);
    requireText("--output", output);
    requireText("--group-id", groupId);
    if (checkpointIntervalMs < 10) {
      throw new IllegalArgumentException(
          "--checkpoint-interval-ms: must be >= 10 but was " + checkpointIntervalMs);
    }
  }

  /** Parses {@code --name value} arguments. */
  public static PipelineConfig fromArgs(String[] args) {
    ParameterTool params = ParameterTool.fromArgs(args);
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
        Objects.requireNonNullElse(params.get("group-id"), DEFAULT_GROUP_ID));
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
    return args;
  }

  private static void requireText(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + ": is required");
    }
  }
}
