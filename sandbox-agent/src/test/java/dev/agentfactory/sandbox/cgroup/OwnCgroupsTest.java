package dev.agentfactory.sandbox.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OwnCgroupsTest {

  @Test
  void v1ControllersAndTheV2PathAreSeparated() {
    OwnCgroups own =
        OwnCgroups.parse("4:memory:/agent\n2:cpu,cpuacct:/\n8:pids:/x\n0::/system.slice/af\n");

    assertThat(own.v1Path("memory")).isEqualTo("/agent");
    assertThat(own.v1Path("cpuacct")).isEqualTo("/");
    assertThat(own.v1Path("freezer")).isEqualTo("/");
    assertThat(own.v2Path()).isEqualTo("/system.slice/af");
  }

  @Test
  void limitsBelowTheFloorNameTheField() {
    assertThatThrownBy(() -> new ResourceLimits(1 << 20, 64, 1000, 1 << 20))
        .hasMessage("limits.memory_mb must be at least 16");
  }
}
