package dev.agentfactory.connectors.kafka;

/** Kafka topic names shared by the edge and the jobs. */
public final class Topics {

  /** Interaction events as JSON, keyed by session id ({@code gen_ai.conversation.id}). */
  public static final String INTERACTIONS = "agent-factory.interactions";

  /**
   * Events the pipeline could not accept: the original bytes and key, the reason in the {@value
   * DeadLetters#REASON_HEADER} header.
   */
  public static final String INTERACTIONS_DLQ = "agent-factory.interactions.dlq";

  /**
   * Live evaluation metrics as JSON, one record per agent version and window, keyed by {@code
   * <tenant>/<agent>/<version>} (docs/evaluation.md).
   */
  public static final String EVAL_LIVE = "agent-factory.eval.live";

  /**
   * Where the pipeline job was stopped last, whichever node stopped it: compacted, keyed by job
   * name ({@link SavepointLog}).
   */
  public static final String PIPELINE_SAVEPOINTS = "agent-factory.pipeline.savepoints";

  private Topics() {}
}
