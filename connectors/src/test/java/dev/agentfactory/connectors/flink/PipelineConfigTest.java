package dev.agentfactory.connectors.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
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
  void aMisspeltArgumentIsRejectedInsteadOfRunningOnTheDefault() {
    assertThatThrownBy(
            () ->
                PipelineConfig.fromArgs(
                    new String[] {
                      "--bootstrap-servers", "k", "--output", "/d", "--checkpoint-interval", "500"
                    }))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--checkpoint-interval: not an argument of the pipeline job");
  }

  @Test
  void everyArgumentToArgsWritesIsReadBack() {
    PipelineConfig config =
        PipelineConfig.fromArgs(new String[] {"--bootstrap-servers", "k:9092", "--output", "/d"});
    List<String> names =
        config.toArgs().stream().filter(a -> a.startsWith("--")).map(a -> a.substring(2)).toList();

    assertThat(PipelineConfig.ARGS).containsAll(names);
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

  @Test
  void theJudgeIsOffByDefaultAndItsArgumentsRoundTrip() {
    PipelineConfig defaults =
        PipelineConfig.fromArgs(new String[] {"--bootstrap-servers", "k:9092", "--output", "/d"});
    assertThat(defaults.judge().enabled()).isFalse();
    assertThat(defaults.evalTopic()).isEqualTo("agent-factory.eval.live");

    PipelineConfig config =
        PipelineConfig.fromArgs(
            new String[] {
              "--bootstrap-servers", "k:9092",
              "--output", "/d",
              "--judge-endpoint", "http://127.0.0.1:8000/v1",
              "--judge-sample-rate", "0.5",
              "--judge-timeout-ms", "300",
              "--eval-window-ms", "4000",
              "--eval-slide-ms", "500"
            });
    assertThat(config.judge().enabled()).isTrue();
    assertThat(config.judge().sampleRate()).isEqualTo(0.5);
    assertThat(config.judge().apiKeyEnv()).isEqualTo("AF_JUDGE_API_KEY");
    assertThat(config.toArgs()).doesNotContain("sk-secret");
    assertThat(PipelineConfig.fromArgs(config.toArgs().toArray(String[]::new))).isEqualTo(config);
  }

  @Test
  void badJudgeAndWindowArgumentsNameTheArgument() {
    assertThatThrownBy(
            () ->
                PipelineConfig.fromArgs(
                    new String[] {
                      "--bootstrap-servers", "k", "--output", "/d", "--judge-sample-rate", "2"
                    }))
        .hasMessageStartingWith("--judge-sample-rate:");
    assertThatThrownBy(
            () ->
                PipelineConfig.fromArgs(
                    new String[] {
                      "--bootstrap-servers", "k", "--output", "/d", "--judge-endpoint", "ftp://x"
                    }))
        .hasMessageStartingWith("--judge-endpoint:");
    assertThatThrownBy(
            () ->
                PipelineConfig.fromArgs(
                    new String[] {
                      "--bootstrap-servers", "k", "--output", "/d", "--eval-window-ms", "1500"
                    }))
        .hasMessageStartingWith("--eval-window-ms:");
  }
}
