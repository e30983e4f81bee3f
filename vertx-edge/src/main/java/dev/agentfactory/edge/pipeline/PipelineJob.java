package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.connectors.kafka.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The interaction pipeline job on a Flink cluster, driven through Flink's REST API only: the same
 * path for the embedded MiniCluster and for an external session cluster.
 */
public final class PipelineJob {

  private final FlinkRestClient rest;
  private final Path jar;
  private final List<String> args;
  private volatile String jobId;

  /**
   * @param rest the Flink cluster
   * @param jar the shaded pipeline job jar
   * @param bootstrapServers where the job reads interactions from
   * @param datasetsDir where the job writes Parquet datasets
   * @param checkpointIntervalMs how often files are committed
   */
  public PipelineJob(
      FlinkRestClient rest,
      Path jar,
      String bootstrapServers,
      Path datasetsDir,
      int checkpointIntervalMs) {
    this.rest = rest;
    this.jar = jar;
    this.args =
        List.of(
            "--bootstrap-servers", bootstrapServers,
            "--topic", Topics.INTERACTIONS,
            "--dlq-topic", Topics.INTERACTIONS_DLQ,
            "--output", datasetsDir.toString(),
            "--checkpoint-interval-ms", Integer.toString(checkpointIntervalMs),
            "--group-id", "agent-factory-pipeline");
  }

  /** Uploads the jar and runs it; completes with the job id once Flink accepted the job. */
  public CompletionStage<String> submit() {
    if (!Files.isRegularFile(jar)) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(
              "pipeline job jar "
                  + jar
                  + " does not exist; build it with ./agent-factory up or set"
                  + " flink.pipeline.jar"));
    }
    return rest.uploadJar(jar)
        .thenCompose(jarId -> rest.runJar(jarId, args))
        .thenApply(
            id -> {
              jobId = id;
              return id;
            });
  }

  /** The job's state as Flink reports it; fails if it was never submitted. */
  public CompletionStage<JobSummary> status() {
    String id = jobId;
    if (id == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("not submitted"));
    }
    return rest.job(id);
  }

  /**
   * Stops the job with a final savepoint, so every file written so far is committed; completes
   * with the savepoint path. Completes at once if the job was never submitted.
   */
  public CompletionStage<String> stop() {
    String id = jobId;
    if (id == null) {
      return CompletableFuture.completedFuture(null);
    }
    return rest.stopWithSavepoint(id);
  }

  public String jobId() {
    return jobId;
  }
}
