package dev.agentfactory.edge.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the model reads when a file call on the session's sandbox fails. */
class FileToolsTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aSandboxRefusalIsAnErrorResultLedByItsCode() throws Exception {
    Sandbox sandbox =
        new FailingSandbox(new SandboxException("file_not_found", "file 'f' not found", false));

    ToolResult read = call(FileTools.read(vertx.getOrCreateContext(), sandbox, args()));

    assertThat(read.isError()).isTrue();
    assertThat(read.content()).isEqualTo("file_not_found: file 'f' not found");
  }

  @Test
  void aBorrowedSandboxWhoseHostDidNotAnswerIsAnErrorResultLedByTheClusterCode() throws Exception {
    // what a borrowed sandbox's file call fails with after the control call timeout
    Sandbox sandbox =
        new FailingSandbox(
            new ClusterException(
                "cluster.peer_timeout",
                "node n2 did not answer a file read within 60000 ms: its af.loans.control threads"
                    + " are busy or stuck",
                true));

    ToolResult read = call(FileTools.read(vertx.getOrCreateContext(), sandbox, args()));
    ToolResult write =
        call(
            FileTools.write(
                vertx.getOrCreateContext(),
                sandbox,
                ToolArguments.parse("{\"path\":\"f\",\"content\":\"x\"}")));
    ToolResult list = call(FileTools.list(vertx.getOrCreateContext(), sandbox, args()));

    for (ToolResult result : List.of(read, write, list)) {
      assertThat(result.isError()).isTrue();
      assertThat(result.content())
          .isEqualTo(
              "cluster.peer_timeout: node n2 did not answer a file read within 60000 ms: its"
                  + " af.loans.control threads are busy or stuck");
    }
  }

  private static ToolArguments args() {
    return ToolArguments.parse("{\"path\":\"f\"}");
  }

  private static ToolResult call(Future<ToolResult> result) throws Exception {
    return result.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /**
   * Fails every file call with {@code error}, wrapped as a chained stage wraps it (a borrowed
   * sandbox's calls fail so).
   */
  private record FailingSandbox(RuntimeException error) implements Sandbox {

    private <T> CompletionStage<T> failed() {
      return CompletableFuture.<T>failedFuture(error).thenApply(value -> value);
    }

    @Override
    public CompletionStage<byte[]> readFile(String path, long maxBytes) {
      return failed();
    }

    @Override
    public CompletionStage<Void> writeFile(String path, byte[] content) {
      return failed();
    }

    @Override
    public CompletionStage<List<FileEntry>> listFiles(String path) {
      return failed();
    }

    @Override
    public String id() {
      return "sb-1";
    }

    @Override
    public String template() {
      return "shell";
    }

    @Override
    public CompletionStage<ExecResult> exec(ExecRequest request, OutputListener listener) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean isAlive() {
      return true;
    }

    @Override
    public void close() {}
  }
}
