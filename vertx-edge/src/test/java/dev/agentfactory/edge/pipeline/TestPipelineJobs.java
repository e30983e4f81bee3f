package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JudgeConfig;
import dev.agentfactory.connectors.kafka.SavepointLog;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.LongSupplier;

/** The pipeline job of a node on an external Flink cluster (or a stand-in for its REST API). */
public final class TestPipelineJobs {

  private TestPipelineJobs() {}

  /**
   * The pipeline job submitting {@code jar} to {@code rest}, keeping its files under {@code dir}.
   */
  public static PipelineJob on(FlinkRestClient rest, Path jar, Path dir) {
    return on(rest, jar, dir, Optional.empty());
  }

  /** As above, recording and reading its stops in {@code savepointLog}. */
  public static PipelineJob on(
      FlinkRestClient rest, Path jar, Path dir, Optional<SavepointLog> savepointLog) {
    return on(rest, jar, dir, savepointLog, Optional.empty(), 1);
  }

  /**
   * As above, as a node whose embedded Flink writes to {@code savepointsDir}, keeping {@code
   * retained} savepoints.
   */
  public static PipelineJob on(
      FlinkRestClient rest,
      Path jar,
      Path dir,
      Optional<SavepointLog> savepointLog,
      Optional<Path> savepointsDir,
      int retained) {
    return on(rest, jar, dir, savepointLog, savepointsDir, retained, System::nanoTime);
  }

  /** As above, telling time by {@code nanoClock} (as {@link System#nanoTime()}). */
  static PipelineJob on(
      FlinkRestClient rest,
      Path jar,
      Path dir,
      Optional<SavepointLog> savepointLog,
      Optional<Path> savepointsDir,
      int retained,
      LongSupplier nanoClock) {
    return new PipelineJob(
            rest,
            jar,
            dir.resolve("flink/last-savepoint"),
            Optional.empty(),
            savepointsDir,
            retained,
            "127.0.0.1:9092",
            dir.resolve("datasets"),
            1000,
            JudgeConfig.off(),
            savepointLog)
        .tellingTimeBy(nanoClock);
  }
}
