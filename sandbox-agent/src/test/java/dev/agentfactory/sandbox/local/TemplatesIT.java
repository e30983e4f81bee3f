package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each built-in template actually runs its program in a namespace sandbox. */
class TemplatesIT {

  private static final int UID_BASE = 360_000;
  private static final int UID_COUNT = 20;

  private static LocalSandboxPool pool;
  private static Path workDir;

  @BeforeAll
  static void startPool() {
    workDir = ItDirs.workDir("tpl-");
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withUidRange(UID_BASE, UID_COUNT)
                .withWarmTarget("shell", 0));
  }

  @AfterAll
  static void closePool() {
    pool.close();
    LeakCheck.assertNothingLeftBy(workDir, UID_BASE, UID_COUNT);
  }

  private static String run(String template, List<String> argv) {
    try (Sandbox sandbox = pool.lease(template).toCompletableFuture().join()) {
      CollectingListener out = new CollectingListener();
      ExecResult result =
          sandbox
              .exec(new ExecRequest(argv, Map.of(), Duration.ofSeconds(30), 1 << 20), out)
              .toCompletableFuture()
              .join();
      assertThat(result.exitCode()).as(out.stderr()).isZero();
      return out.stdout();
    }
  }

  @Test
  void pythonTemplateRunsPython3() {
    assertThat(run("python", List.of("python3", "-c", "print(6*7)"))).isEqualTo("42\n");
  }

  @Test
  void nodeTemplateRunsNode() {
    assertThat(run("node", List.of("node", "-e", "console.log(6*7)"))).isEqualTo("42\n");
  }

  @Test
  void shellTemplateRunsAShell() {
    assertThat(run("shell", List.of("sh", "-c", "echo $((6*7))"))).isEqualTo("42\n");
  }

  @Test
  void browserTemplateDumpsTheDomOrSaysWhyItCannot() {
    if (Files.exists(Path.of("/usr/bin/chromium"))) {
      String dom =
          run(
              "browser",
              List.of(
                  "chromium",
                  "--headless",
                  "--no-sandbox",
                  "--disable-gpu",
                  "--dump-dom",
                  "data:text/html,<p>forty-two</p>"));
      assertThat(dom).contains("<p>forty-two</p>");
    } else {
      assertThat(pool.unavailableTemplates()).containsKey("browser");
      assertThat(pool.unavailableTemplates().get("browser")).contains("/usr/bin/chromium");
      assertThatThrownBy(() -> pool.lease("browser").toCompletableFuture().join())
          .hasMessageContaining("/usr/bin/chromium")
          .satisfies(
              e ->
                  assertThat(((SandboxException) e.getCause()).code())
                      .isEqualTo("template_unavailable"));
    }
  }
}
