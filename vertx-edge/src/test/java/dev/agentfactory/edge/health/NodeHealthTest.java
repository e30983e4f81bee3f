package dev.agentfactory.edge.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeHealthTest {

  private static NodeHealth allUp() {
    NodeHealth health = new NodeHealth();
    NodeHealth.COMPONENTS.forEach(c -> health.report(c, ComponentStatus.up(Map.of())));
    return health;
  }

  @Test
  void aStoppedPipelineJobMakesTheNodeDownButLeavesItReady() {
    NodeHealth health = allUp();
    health.report(NodeHealth.FLINK_JOB, ComponentStatus.down("the pipeline job is FAILED"));

    assertThat(health.allUp()).isFalse();
    assertThat(health.readyForSessions()).isTrue();
  }

  @Test
  void kafkaAwayLeavesTheNodeReady() {
    NodeHealth health = allUp();
    health.report(NodeHealth.KAFKA, ComponentStatus.down("no answer"));

    assertThat(health.readyForSessions()).isTrue();
  }

  @Test
  void aStoreOutageTakesTheNodeOutOfReadiness() {
    NodeHealth health = allUp();
    health.report(NodeHealth.STORES, ComponentStatus.down("connection refused"));

    assertThat(health.readyForSessions()).isFalse();
  }

  @Test
  void aNodeIsNotReadyWhileStarting() {
    assertThat(new NodeHealth().readyForSessions()).isFalse();
  }
}
