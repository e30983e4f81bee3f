package dev.agentfactory.jobs.pipeline;

import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;

/**
 * A task environment for a test harness whose operator registers its metrics where the test reads
 * them back.
 */
final class InterceptedMetrics implements AutoCloseable {

  private final InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
  private final MockEnvironment environment =
      new MockEnvironmentBuilder()
          .setMetricGroup(
              new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
                @Override
                public InternalOperatorMetricGroup getOrAddOperator(
                    OperatorID id, String name, Map<String, String> additionalVariables) {
                  return metrics;
                }
              })
          .build();

  /** The environment to build the harness with. */
  MockEnvironment environment() {
    return environment;
  }

  /** The count of the operator's counter {@code name}. */
  long counter(String name) {
    return ((Counter) metrics.get(name)).getCount();
  }

  @Override
  public void close() throws Exception {
    environment.close();
  }
}
