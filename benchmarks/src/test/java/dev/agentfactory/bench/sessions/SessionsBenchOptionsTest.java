package dev.agentfactory.bench.sessions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.jobs.cli.CliArgs.UsageException;
import org.junit.jupiter.api.Test;

class SessionsBenchOptionsTest {

  @Test
  void knownOptionsAreRead() {
    SessionsBench.Options o =
        SessionsBench.Options.parse(new String[] {"--idle=5", "--active", "2", "--echo=false"});
    assertThat(o.idle()).isEqualTo(5);
    assertThat(o.active()).isEqualTo(2);
    assertThat(o.echo()).isFalse();
    assertThat(o.durationS()).isEqualTo(30);
  }

  @Test
  void aMisspeltOptionIsRejectedInsteadOfRunningOnDefaults() {
    assertThatThrownBy(() -> SessionsBench.Options.parse(new String[] {"--idel=5"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unknown option --idel");
  }

  @Test
  void aMalformedValueIsRejected() {
    assertThatThrownBy(() -> SessionsBench.Options.parse(new String[] {"--echo=yes"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("--echo must be true or false, was 'yes'");
    assertThatThrownBy(() -> SessionsBench.Options.parse(new String[] {"--duration=1m"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("--duration must be an integer");
  }
}
