package dev.agentfactory.bench.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.jobs.cli.CliArgs.UsageException;
import org.junit.jupiter.api.Test;

class ClusterBenchOptionsTest {

  @Test
  void bothSpellingsOfAnOptionAreRead() {
    assertThat(ClusterBench.Options.parse(new String[] {"--seconds=5", "--rate", "200"}))
        .isEqualTo(new ClusterBench.Options(5, 200));
  }

  @Test
  void noOptionsMeanTheDefaults() {
    assertThat(ClusterBench.Options.parse(new String[0]))
        .isEqualTo(new ClusterBench.Options(10, 1000));
  }

  @Test
  void anUnknownOptionIsRejectedNamingIt() {
    assertThatThrownBy(() -> ClusterBench.Options.parse(new String[] {"--secs", "5"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unknown option --secs")
        .hasMessageContaining("--seconds");
  }

  @Test
  void aMalformedOrOutOfRangeValueIsRejected() {
    assertThatThrownBy(() -> ClusterBench.Options.parse(new String[] {"--seconds", "five"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("--seconds must be an integer, was 'five'");
    assertThatThrownBy(() -> ClusterBench.Options.parse(new String[] {"--rate=0"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("--rate must be in [1, 100000], was 0");
  }

  @Test
  void aStrayArgumentOrAMissingValueIsRejected() {
    assertThatThrownBy(() -> ClusterBench.Options.parse(new String[] {"5"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unexpected argument '5'");
    assertThatThrownBy(() -> ClusterBench.Options.parse(new String[] {"--rate"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("--rate needs a value");
  }
}
