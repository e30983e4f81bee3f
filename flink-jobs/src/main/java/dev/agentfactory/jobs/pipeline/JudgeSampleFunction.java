package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.jobs.eval.EvalSample;
import dev.agentfactory.jobs.label.LabeledInteraction;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * The live evaluation's sample of a judge verdict ({@link EvalSample#ofJudge}): a judged turn's
 * score or degradation, with no turn count (the turn itself was counted by {@link
 * TurnSampleFunction} before the judge); nothing for a turn the judge did not look at. Stateless.
 */
public final class JudgeSampleFunction implements FlatMapFunction<LabeledInteraction, EvalSample> {
  private static final long serialVersionUID = 1L;

  @Override
  public void flatMap(LabeledInteraction judged, Collector<EvalSample> out) {
    EvalSample.ofJudge(judged).ifPresent(out::collect);
  }
}
