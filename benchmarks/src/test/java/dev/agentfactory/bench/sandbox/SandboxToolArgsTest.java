package dev.agentfactory.bench.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.jobs.cli.CliArgs.UsageException;
import org.junit.jupiter.api.Test;

class SandboxToolArgsTest {

  @Test
  void sandboxCpuCostReadsUpToThreeCountsWithDefaults() {
    assertThat(SandboxCpuCost.parse(new String[0]))
        .isEqualTo(new SandboxCpuCost.Counts(300, 40, 0));
    assertThat(SandboxCpuCost.parse(new String[] {"10", "2", "7"}))
        .isEqualTo(new SandboxCpuCost.Counts(10, 2, 7));
  }

  @Test
  void sandboxCpuCostRefusesAFourthArgumentOptionsAndBadCounts() {
    assertThatThrownBy(() -> SandboxCpuCost.parse(new String[] {"10", "2", "7", "9"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unexpected argument '9'");
    assertThatThrownBy(() -> SandboxCpuCost.parse(new String[] {"--execs", "10"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unknown option --execs");
    assertThatThrownBy(() -> SandboxCpuCost.parse(new String[] {"ten"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("EXECS must be an integer, was 'ten'");
    assertThatThrownBy(() -> SandboxCpuCost.parse(new String[] {"10", "0"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("STARTS must be in [1, 100000], was 0");
  }

  @Test
  void sandboxDensityReadsOneCountAndRefusesMore() {
    assertThat(SandboxDensity.parse(new String[0])).isEqualTo(50);
    assertThat(SandboxDensity.parse(new String[] {"8"})).isEqualTo(8);
    assertThatThrownBy(() -> SandboxDensity.parse(new String[] {"8", "9"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unexpected argument '9'");
    assertThatThrownBy(() -> SandboxDensity.parse(new String[] {"--n=8"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unknown option --n");
    assertThatThrownBy(() -> SandboxDensity.parse(new String[] {"0"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("SANDBOXES must be in [1, 10000], was 0");
  }
}
