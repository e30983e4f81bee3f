package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.dataset.DatasetKind;
import dev.agentfactory.connectors.dataset.DatasetRow;
import dev.agentfactory.connectors.dataset.DatasetRows;
import dev.agentfactory.jobs.label.LabeledInteraction;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * Maps a scrubbed, labelled interaction to its row (labels and scores in its provenance) in one
 * dataset kind, or to nothing if the event does not qualify (rules in {@code docs/datasets.md}).
 */
public final class DatasetRowFunction implements FlatMapFunction<LabeledInteraction, DatasetRow> {
  private static final long serialVersionUID = 1L;

  private final DatasetKind kind;
  private final String scrubPolicy;

  /**
   * @param scrubPolicy the policy the input went through, recorded in {@code scrub_policy_version}
   */
  public DatasetRowFunction(DatasetKind kind, String scrubPolicy) {
    this.kind = kind;
    this.scrubPolicy = scrubPolicy;
  }

  @Override
  public void flatMap(LabeledInteraction labeled, Collector<DatasetRow> out) {
    DatasetRows.derive(kind, labeled.event(), scrubPolicy)
        .map(row -> row.withVerdicts(labeled.labels(), labeled.scores()))
        .ifPresent(out::collect);
  }
}
