package dev.agentfactory.edge.tools;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A sandbox whose every call fails with {@code error}, wrapped as a chained stage wraps it (a
 * borrowed sandbox's calls fail so), except the MCP stdio bridge's {@code tools/list} exchange when
 * {@code bridgeAnswer} is given: that one prints it and exits 0, so a session can discover the
 * server's tools before calling one fails.
 */
record FailingSandbox(RuntimeException error, String bridgeAnswer) implements Sandbox {

  FailingSandbox(RuntimeException error) {
    this(error, null);
  }

  private <T> CompletionStage<T> failed() {
    return CompletableFuture.<T>failedFuture(error).thenApply(value -> value);
  }

  @Override
  public CompletionStage<ExecResult> exec(ExecRequest request, OutputListener listener) {
    String messages = request.env().getOrDefault("AF_MCP_MESSAGES", "");
    if (bridgeAnswer != null && messages.contains("\"tools/list\"")) {
      listener.onOutput(
          OutputListener.Stream.STDOUT, bridgeAnswer.getBytes(StandardCharsets.UTF_8));
      return CompletableFuture.completedFuture(
          new ExecResult(ExecResult.Status.EXITED, 0, Duration.ofMillis(1), false));
    }
    return failed();
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
  public boolean isAlive() {
    return true;
  }

  @Override
  public void close() {}
}
