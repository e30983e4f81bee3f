package dev.agentfactory.bench;

import java.util.List;

/**
 * A named set of JMH benchmark classes that {@link BenchMain} runs together.
 *
 * @param name the name given on the command line, e.g. {@code sandbox}
 * @param benchmarks the JMH classes; each {@code @Benchmark} method becomes metrics named after the
 *     method in snake case ({@code coldStart} → {@code cold_start_p50}, {@code cold_start_p99})
 */
public record BenchGroup(String name, List<Class<?>> benchmarks) {

  public BenchGroup {
    benchmarks = List.copyOf(benchmarks);
  }
}
