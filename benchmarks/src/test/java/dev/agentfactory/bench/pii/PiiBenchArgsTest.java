package dev.agentfactory.bench.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.jobs.cli.CliArgs.UsageException;
import org.junit.jupiter.api.Test;

class PiiBenchArgsTest {

  @Test
  void secondsDefaultToTenAndAreAPositiveNumber() {
    assertThat(PiiBench.parse(new String[0])).isEqualTo(10.0);
    assertThat(PiiBench.parse(new String[] {"2.5"})).isEqualTo(2.5);
    assertThatThrownBy(() -> PiiBench.parse(new String[] {"0"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("SECONDS must be above");
  }

  @Test
  void anExtraArgumentOrAnOptionIsRefused() {
    assertThatThrownBy(() -> PiiBench.parse(new String[] {"30", "heldout"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unexpected argument 'heldout'");
    assertThatThrownBy(() -> PiiBench.parse(new String[] {"--seconds=30"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unknown option --seconds");
  }
}
