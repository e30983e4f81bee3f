package dev.agentfactory.sandbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.sandbox.daemon.ApiClient.Reply;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A second {@code sandbox-agent} started by mistake on the work dir of a running one (a real
 * process, as an operator would start it) must be refused before it empties that dir: the first
 * agent's leased sandboxes keep their workspaces and it keeps serving leases.
 */
class SecondAgentOnTheSameDirIT {

  private static final String TOKEN = "it-token-" + UUID.randomUUID();

  @Test
  void aSecondAgentOnTheSameDirIsRefusedAndTheFirstKeepsItsWorkspaces() throws Exception {
    Path workDir =
        Path.of(
                System.getProperty("java.io.tmpdir"),
                "af-it-sandboxes",
                "second-agent-" + UUID.randomUUID())
            .toAbsolutePath();
    try (SandboxAgent first =
            SandboxAgent.start(
                DaemonConfig.loopback(workDir)
                    .withPort(0)
                    .withPoolSize(1)
                    .withUidRange(430_000, 20)
                    .withToken(TOKEN));
        ApiClient client = new ApiClient(first.port(), TOKEN)) {
      String lease = lease(client);
      assertThat(sh(client, lease, "echo kept > note.txt && cat note.txt").getString("stdout"))
          .isEqualTo("kept\n");

      // The same dir, and the same port as an operator repeating the command would use
      Process second =
          new ProcessBuilder(
                  List.of(
                      ProcessHandle.current().info().command().orElse("java"),
                      "-cp",
                      System.getProperty(
                          "surefire.test.class.path", System.getProperty("java.class.path")),
                      SandboxAgentMain.class.getName(),
                      "--dir",
                      workDir.toString(),
                      "--port",
                      String.valueOf(first.port()),
                      "--uid-base",
                      "431000",
                      "--uid-count",
                      "20",
                      "--token",
                      TOKEN))
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      String stderr;
      try {
        assertThat(second.waitFor(2, TimeUnit.MINUTES)).as("second agent exits").isTrue();
        stderr = new String(second.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      } finally {
        second.destroyForcibly();
      }

      assertThat(second.exitValue()).as(stderr).isNotZero();
      assertThat(sh(client, lease, "cat note.txt").getString("stdout"))
          .as("the leased sandbox's workspace survives")
          .isEqualTo("kept\n");
      assertThat(stderr)
          .contains(
              "sandbox work dir "
                  + workDir
                  + " is in use by another process (pid "
                  + ProcessHandle.current().pid()
                  + ")");
      String another = lease(client);
      assertThat(sh(client, another, "echo fresh").getString("stdout")).isEqualTo("fresh\n");
    }
    try (var left = Files.list(workDir.resolve("workspaces"))) {
      assertThat(left).as("workspaces left after close").isEmpty();
    }
  }

  private static String lease(ApiClient client) {
    Reply reply = client.post("/v1/leases", new JsonObject().put("template", "shell"));
    assertThat(reply.status()).as(reply.text()).isEqualTo(201);
    return reply.json().getString("id");
  }

  private static JsonObject sh(ApiClient client, String lease, String script) {
    Reply reply =
        client.post("/v1/leases/" + lease + "/exec", new JsonObject().put("command", script));
    assertThat(reply.status()).as(reply.text()).isEqualTo(200);
    return reply.json();
  }
}
