package dev.agentfactory.connectors.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PipelineConfigTest {

  @Test
  void defaultsApplyAndArgumentsRoundTrip() {
    PipelineConfig config =
        PipelineConfig.fromArgs(new String[] {"--bootstrap-servers", "k:9092", "--output", "/d"});
    assertThat(config.topic()).isEqualTo("agent-factory.interactions");
    assertThat(config.dlqTopic()).isEqualTo("agent-factory.interactions.dlq");
    assertThat(config.checkpointIntervalMs()).isEqualTo(2000);
    assertThat(config.groupId()).isEqualTo("agent-factory-pipeline");
    assertThat(PipelineConfig.fromArgs(config.toArgs().toArray(String[]::new))).isEqualTo(config);
  }

  @Test
  void missingOutputNamesTheArgument() {
    assertThatThrownBy(() -> PipelineConfig.fromArgs(new String[] {"--bootstrap-servers", "k"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--output: is required");
  }

  @Test
  void badIntervalNamesTheArgument() {
    assertThatThrownBy(
            () ->
                PipelineConfig.fromArgs(
                    new String[] {
                      "--bootstrap-servers", "k", "--output", "/d", "--checkpoint-interval-ms", "x"
                    }))
        .hasMessageStartingWith("--checkpoint-interval-ms:");
  }
}
