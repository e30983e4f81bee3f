package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.sandbox.driver.Isolation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SandboxConfigTest {

  private static final Path WORK = Path.of("/var/lib/af/sandboxes");

  @Test
  void defaultsAreNamespaceIsolationWithAWarmShellPool() {
    SandboxConfig config = SandboxConfig.defaults(WORK);

    assertThat(config.isolation()).isEqualTo(Isolation.NAMESPACE);
    assertThat(config.warmTarget("shell")).isEqualTo(SandboxConfig.DEFAULT_WARM_TARGET);
    assertThat(config.uidBase()).isEqualTo(200_000);
  }

  @Test
  void relativeWorkDirIsRejectedNamingTheField() {
    assertThatThrownBy(() -> SandboxConfig.defaults(Path.of("relative")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("sandbox.workDir");
  }

  @Test
  void unknownTemplateInWarmTargetsIsRejected() {
    assertThatThrownBy(() -> SandboxConfig.defaults(WORK).withWarmTarget("gpu", 1))
        .hasMessageContaining("sandbox.warmTargets")
        .hasMessageContaining("gpu");
  }

  @Test
  void negativeWarmTargetIsRejected() {
    assertThatThrownBy(() -> SandboxConfig.defaults(WORK).withWarmTarget("shell", -1))
        .hasMessageContaining("sandbox.warmTargets");
  }

  @Test
  void systemUidsAreNeverHandedToSandboxes() {
    assertThatThrownBy(() -> SandboxConfig.defaults(WORK).withUidRange(0, 10))
        .hasMessageStartingWith("sandbox.uidBase");
  }

  @Test
  void uidRangeMustNotOverflow() {
    assertThatThrownBy(() -> SandboxConfig.defaults(WORK).withUidRange(Integer.MAX_VALUE - 5, 10))
        .hasMessageStartingWith("sandbox.uidCount");
  }

  @Test
  void tinyTmpfsIsRejected() {
    assertThatThrownBy(() -> SandboxConfig.defaults(WORK).withTmpfsBytes(1024))
        .hasMessageStartingWith("sandbox.tmpfsBytes");
  }

  @Test
  void everyFieldIsChecked() {
    assertThatThrownBy(
            () ->
                new SandboxConfig(
                    WORK,
                    Isolation.NAMESPACE,
                    Map.of(),
                    200_000,
                    10,
                    1 << 20,
                    null,
                    2,
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(1)))
        .hasMessageStartingWith("sandbox.bwrapPath");
    assertThatThrownBy(
            () ->
                new SandboxConfig(
                    WORK,
                    Isolation.NAMESPACE,
                    Map.of(),
                    200_000,
                    10,
                    1 << 20,
                    Path.of("/b"),
                    0,
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(1)))
        .hasMessageStartingWith("sandbox.maxConcurrentStarts");
    assertThatThrownBy(
            () ->
                new SandboxConfig(
                    WORK,
                    Isolation.NAMESPACE,
                    Map.of(),
                    200_000,
                    10,
                    1 << 20,
                    Path.of("/b"),
                    1,
                    Duration.ZERO,
                    Duration.ofSeconds(1)))
        .hasMessageStartingWith("sandbox.startTimeout");
    assertThatThrownBy(
            () ->
                new SandboxConfig(
                    WORK,
                    null,
                    Map.of(),
                    200_000,
                    10,
                    1 << 20,
                    Path.of("/b"),
                    1,
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(1)))
        .hasMessageStartingWith("sandbox.isolation");
  }
}
