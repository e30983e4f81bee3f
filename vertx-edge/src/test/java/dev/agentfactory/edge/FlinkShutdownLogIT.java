package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.flink.EmbeddedFlink;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the node's log says when the embedded Flink stops at the JVM's shutdown, as on a SIGTERM: a
 * child JVM with the node's log4j2.xml starts an {@link EmbeddedFlink} and closes it from a
 * shutdown hook, as {@link NodeMain} does.
 */
class FlinkShutdownLogIT {

  @TempDir Path dir;

  @Test
  void flinkStoppedByAShutdownHookLeavesNoPekkoWarningAboutItsOwnHook() throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    // the --add-opens Flink needs, as this JVM got them
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-"))
        .forEach(command::add);
    command.add("-cp");
    command.add(
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add(FlinkClosedAtExit.class.getName());
    command.add(dir.resolve("flink").toString());
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    try {
      assertThat(process.waitFor(3, TimeUnit.MINUTES)).as("the child JVM exits").isTrue();
    } finally {
      process.destroyForcibly();
    }
    String stdout = Files.readString(out, StandardCharsets.UTF_8);
    String stderr = Files.readString(err, StandardCharsets.UTF_8);

    assertThat(stdout).as(stderr).contains("flink up").contains("flink closed");
    assertThat(stderr).doesNotContain("Could not addJvmShutdownHook");
  }

  /** The child: Flink up, then System.exit, so that only the shutdown hook stops it. */
  public static final class FlinkClosedAtExit {
    public static void main(String[] args) {
      EmbeddedFlink flink = EmbeddedFlink.start(Path.of(args[0]), 0, Map.of());
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    flink.close();
                    System.out.println("flink closed");
                  },
                  "test-shutdown"));
      System.out.println("flink up");
      System.exit(0);
    }
  }
}
