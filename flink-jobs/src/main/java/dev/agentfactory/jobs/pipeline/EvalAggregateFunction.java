package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.jobs.eval.EvalAccumulator;
import dev.agentfactory.jobs.eval.EvalSample;
import org.apache.flink.api.common.functions.AggregateFunction;

/** Sums the {@link EvalSample}s of a window incrementally: state is one accumulator per window. */
public final class EvalAggregateFunction
    implements AggregateFunction<EvalSample, EvalAccumulator, EvalAccumulator> {
  private static final long serialVersionUID = 1L;

  @Override
  public EvalAccumulator createAccumulator() {
    return new EvalAccumulator();
  }

  @Override
  public EvalAccumulator add(EvalSample sample, EvalAccumulator acc) {
    return acc.add(sample);
  }

  @Override
  public EvalAccumulator getResult(EvalAccumulator acc) {
    return acc;
  }

  @Override
  public EvalAccumulator merge(EvalAccumulator a, EvalAccumulator b) {
    return a.merge(b);
  }
}
