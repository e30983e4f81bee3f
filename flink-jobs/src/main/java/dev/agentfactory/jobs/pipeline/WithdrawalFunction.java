package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.dataset.Withdrawal;
import dev.agentfactory.jobs.label.LabeledInteraction;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * Maps an amending event that takes back its turn's {@code sft} row (a later thumbs-down, or an
 * eval reference) to a {@link Withdrawal}; every other event to nothing.
 */
public final class WithdrawalFunction implements FlatMapFunction<LabeledInteraction, Withdrawal> {
  private static final long serialVersionUID = 1L;

  @Override
  public void flatMap(LabeledInteraction labeled, Collector<Withdrawal> out) {
    Withdrawal.of(labeled.event()).ifPresent(out::collect);
  }
}
