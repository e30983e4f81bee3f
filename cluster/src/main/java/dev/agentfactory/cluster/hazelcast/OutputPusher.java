package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.IExecutorService;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.SandboxException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of streamed output: the output listener of one command run for a borrower. Chunks
 * are pushed to the borrower's {@link ExecStreams} ({@link PoolTasks.Output} on its {@code
 * af.output} executor) as they come, with <b>one batch in flight</b>: chunks that arrive meanwhile
 * are sent together when it is acknowledged. That keeps them in order without sequence numbers, and
 * bounds what waits here: once {@link #MAX_PENDING_BYTES} wait behind a batch in flight, the
 * sandbox's reader thread waits too, which stalls the command through its pipe, exactly what a slow
 * listener does to a local sandbox. The output cap and truncation were applied by the sandbox
 * before the chunks got here.
 *
 * <p>When the borrower answers a batch with "stop" (its listener failed, or the command is gone
 * there) or a batch cannot be delivered, the next chunk throws: the sandbox then kills the command,
 * as it does when a local listener throws.
 */
final class OutputPusher implements OutputListener {

  /** Output held back while a batch is in flight, at most (plus the chunk that crossed it). */
  static final int MAX_PENDING_BYTES = 256 << 10;

  private static final Logger LOG = LoggerFactory.getLogger(OutputPusher.class);

  private final IExecutorService executor;
  private final Member borrower;
  private final String execId;

  // all guarded by this
  private List<OutputChunk> pending = new ArrayList<>();
  private long pendingBytes;
  private boolean inFlight;
  private boolean lost;
  private boolean stopped;
  private CompletableFuture<List<OutputChunk>> finished;

  /**
   * @param borrower the member to stream to; null if it is no longer a member (output is lost)
   */
  OutputPusher(IExecutorService executor, Member borrower, String execId) {
    this.executor = executor;
    this.borrower = borrower;
    this.execId = execId;
    this.lost = borrower == null;
  }

  @Override
  public void onOutput(Stream stream, byte[] chunk) {
    List<OutputChunk> batch;
    synchronized (this) {
      while (inFlight && pendingBytes >= MAX_PENDING_BYTES && !lost && !stopped) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SandboxException("output_lost", "interrupted while streaming output", false);
        }
      }
      if (lost) {
        throw new SandboxException(
            "output_lost", "output of exec " + execId + " cannot reach its borrower", false);
      }
      if (stopped) {
        throw new SandboxException(
            "output_stopped", "the borrower takes no more output of exec " + execId, false);
      }
      pending.add(OutputChunk.of(stream, chunk));
      pendingBytes += chunk.length;
      if (inFlight || finished != null) {
        return;
      }
      batch = takePending();
      inFlight = true;
    }
    push(batch);
  }

  /**
   * The command ended: completes, once no batch is in flight any more, with the output not yet
   * pushed (it travels in the reply). Nothing is pushed after this.
   */
  CompletableFuture<List<OutputChunk>> finish() {
    CompletableFuture<List<OutputChunk>> done = new CompletableFuture<>();
    List<OutputChunk> tail;
    synchronized (this) {
      finished = done;
      if (inFlight) {
        return done;
      }
      tail = takePending();
    }
    done.complete(tail);
    return done;
  }

  /** Whether some output could not be delivered. */
  synchronized boolean lost() {
    return lost;
  }

  private void push(List<OutputChunk> batch) {
    try {
      // bridged, not an ExecutionCallback: Hazelcast runs those on a new thread each on small hosts
      Failures.task(executor.submitToMember(new PoolTasks.Output(execId, batch), borrower))
          .whenComplete((more, e) -> pushed(e == null && Boolean.TRUE.equals(more), e));
    } catch (RuntimeException e) {
      pushed(false, e);
    }
  }

  private void pushed(boolean more, Throwable failure) {
    List<OutputChunk> next = null;
    CompletableFuture<List<OutputChunk>> done;
    List<OutputChunk> tail = null;
    synchronized (this) {
      inFlight = false;
      if (failure != null) {
        LOG.debug("output of exec {} could not be pushed to {}", execId, borrower, failure);
        lost = true;
      } else if (!more) {
        stopped = true;
      }
      if (lost || stopped) {
        takePending();
      }
      done = finished;
      if (done != null) {
        tail = takePending();
      } else if (!pending.isEmpty()) {
        next = takePending();
        inFlight = true;
      }
      notifyAll();
    }
    if (done != null) {
      done.complete(tail);
    } else if (next != null) {
      push(next);
    }
  }

  // caller holds the lock
  private List<OutputChunk> takePending() {
    List<OutputChunk> taken = pending;
    pending = new ArrayList<>();
    pendingBytes = 0;
    return taken;
  }
}
