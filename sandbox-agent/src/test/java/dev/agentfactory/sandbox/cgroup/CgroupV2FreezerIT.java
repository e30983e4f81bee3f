package dev.agentfactory.sandbox.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The v2 code path on this host's unified hierarchy, which has no memory or pids controllers (they
 * are bound to v1) but does have the v2 freezer and {@code cgroup.kill}: enough to check freeze,
 * thaw and destroy of a real process.
 */
class CgroupV2FreezerIT {

  private static final Path UNIFIED = Path.of("/sys/fs/cgroup/unified");

  @Test
  void v2FreezesThawsAndKillsARealProcess() throws Exception {
    assumeThat(Files.isWritable(UNIFIED.resolve("cgroup.procs"))).isTrue();
    Path dir = UNIFIED.resolve("af-it-" + UUID.randomUUID().toString().substring(0, 8));
    CgroupFiles.mkdir(dir);
    CgroupV2Tree.V2 cgroup = new CgroupV2Tree.V2(dir);
    Process sleeper =
        new ProcessBuilder(
                "/bin/sh", "-c", "echo $$ > " + dir.resolve("cgroup.procs") + " && exec sleep 600")
            .start();
    try {
      CgroupFiles.await(
          "sleeper in cgroup", () -> !CgroupFiles.pids(dir.resolve("cgroup.procs")).isEmpty());

      cgroup.freeze();
      assertThat(CgroupFiles.keyed(dir.resolve("cgroup.events"), "frozen")).isEqualTo(1);
      cgroup.thaw();
      assertThat(CgroupFiles.keyed(dir.resolve("cgroup.events"), "frozen")).isZero();

      cgroup.freeze();
      cgroup.destroy();

      assertThat(sleeper.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(dir).doesNotExist();
    } finally {
      sleeper.destroyForcibly();
      CgroupFiles.remove(dir);
    }
  }
}
