package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.jobs.eval.EvalAccumulator;
import dev.agentfactory.jobs.eval.EvalMetrics;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/** Turns a window's totals into its {@link EvalMetrics}, stamped with the window bounds. */
public final class EvalWindowFunction
    extends ProcessWindowFunction<EvalAccumulator, EvalMetrics, String, TimeWindow> {
  private static final long serialVersionUID = 1L;

  @Override
  public void process(
      String key, Context ctx, Iterable<EvalAccumulator> totals, Collector<EvalMetrics> out) {
    for (EvalAccumulator acc : totals) {
      out.collect(
          acc.metrics(ctx.window().getStart(), ctx.window().getEnd(), System.currentTimeMillis()));
    }
  }
}
