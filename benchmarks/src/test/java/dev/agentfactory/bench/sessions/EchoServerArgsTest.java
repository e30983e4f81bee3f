package dev.agentfactory.bench.sessions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.jobs.cli.CliArgs.UsageException;
import org.junit.jupiter.api.Test;

class EchoServerArgsTest {

  @Test
  void portAndRepliesAreBothRequired() {
    assertThat(EchoServer.parse(new String[] {"8080", "3"}))
        .isEqualTo(new EchoServer.Settings(8080, 3));
    assertThatThrownBy(() -> EchoServer.parse(new String[] {"8080"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("REPLIES is required");
  }

  @Test
  void anExtraArgumentAnOptionOrAPortOutOfRangeIsRefused() {
    assertThatThrownBy(() -> EchoServer.parse(new String[] {"8080", "3", "4"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unexpected argument '4'");
    assertThatThrownBy(() -> EchoServer.parse(new String[] {"8080", "--replies", "3"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unknown option --replies");
    assertThatThrownBy(() -> EchoServer.parse(new String[] {"70000", "3"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("PORT must be in [0, 65535], was 70000");
  }
}
