package dev.agentfactory.sandbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.sandbox.driver.Isolation;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DaemonConfigTest {

  @Test
  void defaultsListenOnLoopbackWithoutAToken() {
    DaemonConfig c = DaemonConfig.parse(new String[0], Map.of());

    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(8090);
    assertThat(c.isolation()).isEqualTo(Isolation.NAMESPACE);
    assertThat(c.token()).isNull();
    assertThat(c.dir()).isAbsolute();
  }

  @Test
  void optionsParseInBothSpellings() {
    DaemonConfig c =
        DaemonConfig.parse(
            new String[] {"--port=9000", "--pool-size", "4", "--isolation", "process"}, Map.of());

    assertThat(c.port()).isEqualTo(9000);
    assertThat(c.poolSize()).isEqualTo(4);
    assertThat(c.isolation()).isEqualTo(Isolation.PROCESS);
  }

  @Test
  void listeningBeyondLoopbackNeedsAToken() {
    assertThatThrownBy(() -> DaemonConfig.parse(new String[] {"--host", "0.0.0.0"}, Map.of()))
        .hasMessageStartingWith("--token is required");

    DaemonConfig c =
        DaemonConfig.parse(
            new String[] {"--host", "0.0.0.0"},
            Map.of(DaemonConfig.TOKEN_ENV, "a-long-enough-token"));
    assertThat(c.token()).isEqualTo("a-long-enough-token");
  }

  @Test
  void badOptionsAreNamed() {
    assertThatThrownBy(() -> DaemonConfig.parse(new String[] {"--prot", "1"}, Map.of()))
        .hasMessageStartingWith("--prot is not a known option");
    assertThatThrownBy(() -> DaemonConfig.parse(new String[] {"--port", "x"}, Map.of()))
        .hasMessageStartingWith("--port must be an integer");
    assertThatThrownBy(() -> DaemonConfig.parse(new String[] {"--port", "70000"}, Map.of()))
        .hasMessageStartingWith("--port must be in");
    assertThatThrownBy(() -> DaemonConfig.parse(new String[] {"--isolation", "jail"}, Map.of()))
        .hasMessageStartingWith("--isolation");
    assertThatThrownBy(() -> DaemonConfig.parse(new String[] {"--port"}, Map.of()))
        .hasMessageStartingWith("--port needs a value");
  }

  @Test
  void numbersBeyondTheirTypeAreRefusedNotNarrowed() {
    // 2^32 + 8090 would have become port 8090 (and 2^32 + 2 a pool of 2)
    assertThatThrownBy(() -> DaemonConfig.parse(new String[] {"--port", "4294975386"}, Map.of()))
        .hasMessageStartingWith("--port must be an integer below 2^31");
    assertThatThrownBy(
            () -> DaemonConfig.parse(new String[] {"--pool-size", "4294967298"}, Map.of()))
        .hasMessageStartingWith("--pool-size must be an integer below 2^31");
    // a TTL whose milliseconds overflow a long stopped the daemon with an ArithmeticException
    assertThatThrownBy(
            () -> DaemonConfig.parse(new String[] {"--lease-ttl-s", "99999999999999999"}, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--lease-ttl-s must be in [1, ");
    assertThatThrownBy(
            () ->
                DaemonConfig.parse(
                    new String[] {"--lease-ttl-s", "-9223372036854775807"}, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--lease-ttl-s must be in [1, ");
    assertThatThrownBy(
            () ->
                DaemonConfig.parse(
                    new String[] {"--max-lease-ttl-s", "9223372036854775807"}, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--max-lease-ttl-s must be in [1, ");
  }

  @Test
  void utf8CharactersCutBetweenChunksAreKeptWhole() {
    Utf8Chunks chunks = new Utf8Chunks();
    byte[] euro = "€".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    assertThat(chunks.decode(new byte[] {'a', euro[0]})).isEqualTo("a");
    assertThat(chunks.decode(new byte[] {euro[1]})).isEmpty();
    assertThat(chunks.decode(new byte[] {euro[2], 'b'})).isEqualTo("€b");
    assertThat(chunks.finish()).isEmpty();
  }
}
