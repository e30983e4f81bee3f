package dev.agentfactory.bench.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.jobs.cli.CliArgs.UsageException;
import org.junit.jupiter.api.Test;

class PipelineBenchArgsTest {

  @Test
  void tooManyArgumentsAreRejectedBeforeAnythingRuns() {
    assertThatThrownBy(() -> PipelineBench.main(new String[] {"100", "1000", "--rate=5"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("usage: bench pipeline [EVENTS [CHECKPOINT_MS]]");
  }

  @Test
  void aPositionalValueMustBeAPositiveInteger() {
    assertThat(PipelineBench.positive("20", "EVENTS")).isEqualTo(20);
    assertThatThrownBy(() -> PipelineBench.positive("--events=20", "EVENTS"))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("EVENTS must be a positive integer, was '--events=20'");
    assertThatThrownBy(() -> PipelineBench.positive("0", "EVENTS"))
        .isInstanceOf(UsageException.class);
  }
}
