package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.jobs.eval.EvalSample;
import dev.agentfactory.jobs.label.LabeledInteraction;
import dev.agentfactory.jobs.label.RuleLabeler;
import java.util.List;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * The live evaluation's sample of a scrubbed turn ({@link EvalSample#ofTurn}), labelled here with
 * the {@link RuleLabeler} rules the dataset path uses; none of an amending event (feedback after
 * the turn), which is no turn. Stateless.
 *
 * <p>It runs beside the quality filter, not behind it, and never behind the judge: a turn counts in
 * its agent version's metrics as soon as it is scrubbed, whether or not deduplication (scoped to
 * tenant and agent, across versions) keeps it, and however long its judge call takes ({@code
 * docs/evaluation.md}).
 */
public final class TurnSampleFunction implements FlatMapFunction<Interaction, EvalSample> {
  private static final long serialVersionUID = 1L;

  @Override
  public void flatMap(Interaction event, Collector<EvalSample> out) {
    // A sample of its own would open windows that hold no turn, and the newest of them would
    // replace its agent version's latest window at the edge with one of zero turns.
    if (!event.isAmendment()) {
      out.collect(
          EvalSample.ofTurn(new LabeledInteraction(event, RuleLabeler.label(event), List.of())));
    }
  }
}
