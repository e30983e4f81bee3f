package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.dataset.DatasetKind;
import dev.agentfactory.connectors.dataset.Withdrawal;
import dev.agentfactory.jobs.label.LabeledInteraction;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * Maps an event that takes back its turn's rows of one dataset kind (a later thumbs-down takes back
 * the {@code sft} row; an eval reference every training row of the turn) to a {@link Withdrawal};
 * every other event to nothing. Rules in {@link Withdrawal#of(DatasetKind,
 * dev.agentfactory.connectors.event.Interaction)}.
 */
public final class WithdrawalFunction implements FlatMapFunction<LabeledInteraction, Withdrawal> {
  private static final long serialVersionUID = 1L;

  private final DatasetKind kind;

  /** Withdrawals from the {@code sft} dataset. */
  public WithdrawalFunction() {
    this(DatasetKind.SFT);
  }

  public WithdrawalFunction(DatasetKind kind) {
    this.kind = kind;
  }

  @Override
  public void flatMap(LabeledInteraction labeled, Collector<Withdrawal> out) {
    Withdrawal.of(kind, labeled.event()).ifPresent(out::collect);
  }
}
