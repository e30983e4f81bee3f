package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.dataset.SftRow;
import dev.agentfactory.jobs.label.LabeledInteraction;
import org.apache.flink.api.common.functions.MapFunction;

/** Maps a scrubbed, labelled interaction to its row in the {@code sft} dataset. */
public final class SftRowFunction implements MapFunction<LabeledInteraction, SftRow> {
  private static final long serialVersionUID = 1L;

  private final String scrubPolicy;

  /**
   * @param scrubPolicy the policy the input went through, recorded in {@code scrub_policy}
   */
  public SftRowFunction(String scrubPolicy) {
    this.scrubPolicy = scrubPolicy;
  }

  @Override
  public SftRow map(LabeledInteraction labeled) {
    return SftRow.from(labeled.event(), scrubPolicy).withLabels(labeled.labels(), labeled.scores());
  }
}
