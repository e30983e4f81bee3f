package dev.agentfactory.sandbox.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LaunchWrapperTest {

  private static final LaunchSpec BARE =
      new LaunchSpec("sbx-1", Path.of("/w/af-init"), Path.of("/w/ws"), Path.of("/w/log"), 1000);

  @Test
  void withoutCgroupOrFilterTheCommandRunsAsIs() {
    assertThat(LaunchWrapper.wrap(BARE, List.of("bwrap", "x"), 1000)).containsExactly("bwrap", "x");
  }

  @Test
  void launcherJoinsEveryCgroupOpensTheFilterDropsTheUidAndExecsTheCommand() {
    LaunchSpec spec =
        new LaunchSpec(
            "sbx-1",
            Path.of("/w/af-init"),
            Path.of("/w/ws"),
            Path.of("/w/log"),
            1000,
            Map.of(),
            List.of(Path.of("/cg/memory/a/cgroup.procs"), Path.of("/cg/pids/a/cgroup.procs")),
            Path.of("/w/seccomp.bpf"),
            Path.of("/w/af-launch"),
            8 << 20);

    assertThat(LaunchWrapper.wrap(spec, List.of("bwrap", "x"), 1000))
        .containsExactly(
            "/w/af-launch",
            "--cgroup",
            "/cg/memory/a/cgroup.procs",
            "--cgroup",
            "/cg/pids/a/cgroup.procs",
            "--seccomp",
            "/w/seccomp.bpf",
            "--workspace",
            "/w/ws",
            "--size",
            "8388608",
            "--uid",
            "1000",
            "--",
            "bwrap",
            "x");
  }

  @Test
  void cgroupsWithoutTheLauncherAreRejected() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new LaunchSpec(
                    "sbx-1",
                    Path.of("/w/af-init"),
                    Path.of("/w/ws"),
                    Path.of("/w/log"),
                    1000,
                    Map.of(),
                    List.of(Path.of("/cg/cgroup.procs")),
                    null,
                    null,
                    0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
