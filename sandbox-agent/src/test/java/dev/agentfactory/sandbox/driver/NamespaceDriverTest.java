package dev.agentfactory.sandbox.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bwrap command line a spec turns into; no sandbox is started. */
class NamespaceDriverTest {

  private static final Path BWRAP = Path.of("/usr/bin/bwrap");

  private static LaunchSpec spec(Path egressSocket) {
    return new LaunchSpec(
        "sbx-1",
        Path.of("/w/af-init"),
        Path.of("/w/ws"),
        Path.of("/w/log"),
        1000,
        Map.of("A", "1"),
        List.of(),
        null,
        null,
        0,
        egressSocket);
  }

  @Test
  void withoutEgressThereIsNoSocketNoRelayAndNoProxyEnv() {
    assumeThat(Files.isExecutable(BWRAP)).isTrue();
    List<String> cmd = new NamespaceDriver(BWRAP, 1 << 20, false).command(spec(null));

    assertThat(cmd).doesNotContain("--relay", NamespaceDriver.EGRESS_SOCKET, "HTTP_PROXY");
    assertThat(cmd.subList(cmd.indexOf("--"), cmd.size()))
        .containsExactly("--", "/.af-init", "/workspace");
    assertThat(cmd).contains("--unshare-all");
  }

  @Test
  void withEgressTheSocketIsBoundReadOnlyAndAfInitRelaysToIt() {
    assumeThat(Files.isExecutable(BWRAP)).isTrue();
    List<String> cmd =
        new NamespaceDriver(BWRAP, 1 << 20, false)
            .command(spec(Path.of("/w/egress/sbx-1/proxy.sock")));

    assertThat(
            Collections.indexOfSubList(
                cmd, List.of("--ro-bind", "/w/egress/sbx-1/proxy.sock", "/.af-egress.sock")))
        .isPositive();
    assertThat(
            Collections.indexOfSubList(
                cmd, List.of("--setenv", "HTTPS_PROXY", "http://127.0.0.1:3128")))
        .isPositive();
    assertThat(cmd.subList(cmd.indexOf("--"), cmd.size()))
        .containsExactly("--", "/.af-init", "--relay", "3128", "/.af-egress.sock", "/workspace");
    // still no network namespace shared with the host
    assertThat(cmd).contains("--unshare-all").doesNotContain("--share-net");
  }
}
