package dev.agentfactory.sandbox.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @Test
  void anEtcViewIsOneReadOnlyBindInsteadOfOnePerFile(@TempDir Path dir) throws Exception {
    assumeThat(Files.isExecutable(BWRAP)).isTrue();
    Path view = dir.resolve("etc");
    List<String> cmd = new NamespaceDriver(BWRAP, 1 << 20, false, view).command(spec(null));

    assertThat(Collections.indexOfSubList(cmd, List.of("--ro-bind", view.toString(), "/etc")))
        .isPositive();
    assertThat(cmd).doesNotContain("--ro-bind-try", "/etc/passwd");
  }

  @Test
  void theEtcViewHoldsTheListedHostFilesAndNothingElse(@TempDir Path dir) throws Exception {
    assumeThat(Path.of("/etc/passwd")).exists();
    Path view = NamespaceDriver.prepareEtcView(dir.resolve("etc"));

    assertThat(Files.readString(view.resolve("passwd")))
        .isEqualTo(Files.readString(Path.of("/etc/passwd")));
    assertThat(Files.getPosixFilePermissions(view.resolve("passwd")))
        .isEqualTo(Files.getPosixFilePermissions(Path.of("/etc/passwd")));
    assertThat(view.resolve("shadow")).doesNotExist();
    assertThat(view.resolve("sudoers")).doesNotExist();
    try (var entries = Files.list(view)) {
      List<String> names = entries.map(p -> "/etc/" + p.getFileName()).toList();
      assertThat(names)
          .allSatisfy(
              n ->
                  assertThat(NamespaceDriver.ETC_FILES)
                      .anySatisfy(e -> assertThat(e.equals(n) || e.startsWith(n + "/")).isTrue()));
    }
    // links inside a listed directory stay links, as a bind shows them
    Path hostCerts = Path.of("/etc/ssl/certs");
    if (Files.isDirectory(hostCerts)) {
      try (var certs = Files.list(hostCerts)) {
        Path link = certs.filter(Files::isSymbolicLink).findFirst().orElse(null);
        if (link != null) {
          Path copy = view.resolve("ssl/certs").resolve(link.getFileName().toString());
          assertThat(Files.isSymbolicLink(copy)).isTrue();
          assertThat(Files.readSymbolicLink(copy)).isEqualTo(Files.readSymbolicLink(link));
        }
      }
    }
    // preparing again replaces the view
    Files.writeString(view.resolve("stale"), "x");
    NamespaceDriver.prepareEtcView(view);
    assertThat(view.resolve("stale")).doesNotExist();
  }
}
