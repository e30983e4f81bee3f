package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.edge.config.ConfigSource;
import dev.agentfactory.edge.config.NodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxesDirTest {

  @TempDir Path dir;

  private static NodeConfig config(Map<String, String> flags) {
    return NodeConfig.from(new ConfigSource(flags, Map.of(), Map.of()));
  }

  @Test
  void theDataDirIsUsedWhenSandboxUidsCanReachIt() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    NodeConfig config = config(Map.of("data.dir", dir.resolve("data").toString()));

    assertThat(AgentFactoryNode.sandboxesDir(config, Path.of("/tmp")))
        .isEqualTo(dir.resolve("data").resolve("sandboxes"));
  }

  @Test
  void aPrivateParentMovesSandboxesUnderTheTempDir() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    NodeConfig config = config(Map.of("data.dir", dir.resolve("data").toString()));

    Path chosen = AgentFactoryNode.sandboxesDir(config, Path.of("/tmp"));

    assertThat(chosen.getParent().getParent()).isEqualTo(Path.of("/tmp"));
    assertThat(chosen.getFileName().toString()).isEqualTo("sandboxes");
    assertThat(AgentFactoryNode.sandboxesDir(config, Path.of("/tmp")))
        .as("the same data dir maps to the same place")
        .isEqualTo(chosen);
  }

  @Test
  void anExplicitSandboxDirIsNeverOverridden() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    NodeConfig config =
        config(
            Map.of(
                "data.dir", dir.resolve("data").toString(),
                "sandbox.dir", dir.resolve("mine").toString()));

    assertThat(AgentFactoryNode.sandboxesDir(config, Path.of("/tmp")))
        .isEqualTo(dir.resolve("mine"));
  }
}
