package dev.agentfactory.edge.pipeline;

import java.nio.file.Path;

/** The pipeline's job jar is not where {@code flink.pipeline.jar} says: a node set-up error. */
public final class PipelineJarMissingException extends IllegalStateException {

  public PipelineJarMissingException(Path jar) {
    super(
        "pipeline job jar "
            + jar
            + " does not exist; build it with ./agent-factory up or set flink.pipeline.jar");
  }
}
