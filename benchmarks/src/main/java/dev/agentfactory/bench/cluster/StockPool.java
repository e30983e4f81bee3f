package dev.agentfactory.bench.cluster;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.PoolStats;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxPool;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A sandbox pool that always has stock and whose sandboxes run nothing (an exec writes one chunk
 * and ends at once): the cluster bench measures the lease path (local take, fencing token,
 * cluster-wide record, borrow, release), not sandbox start-up, which {@code bench sandbox} measures
 * and which no 2-core machine refills at 1,000/s.
 */
final class StockPool implements SandboxPool {

  private static final byte[] CHUNK = "ok\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  private final String node;
  private final int ready;
  private final AtomicLong ids = new AtomicLong();

  StockPool(String node, int ready) {
    this.node = node;
    this.ready = ready;
  }

  @Override
  public CompletionStage<Sandbox> lease(String template) {
    return CompletableFuture.completedFuture(
        new Inert(node + "-" + ids.incrementAndGet(), template));
  }

  @Override
  public PoolStats stats() {
    return new PoolStats(
        "none", Map.of("shell", ready), Map.of("shell", 0), Map.of("shell", ready));
  }

  @Override
  public void retarget(String template, int target) {
    // fixed stock
  }

  @Override
  public void close() {}

  private record Inert(String id, String template) implements Sandbox {
    @Override
    public CompletionStage<ExecResult> exec(ExecRequest request, OutputListener listener) {
      // one chunk, so a borrowed exec measures the streamed output path too
      listener.onOutput(OutputListener.Stream.STDOUT, CHUNK);
      return CompletableFuture.completedFuture(
          new ExecResult(ExecResult.Status.EXITED, 0, Duration.ZERO, false));
    }

    @Override
    public boolean isAlive() {
      return true;
    }

    @Override
    public void close() {}
  }
}
