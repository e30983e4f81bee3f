package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.SandboxException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The borrower side of streamed output: the commands this node runs in borrowed sandboxes, by exec
 * id, each with its caller's listener. A host pushes a command's output here ({@link
 * PoolTasks.Output}) one batch at a time and waits for each batch to be taken before it sends the
 * next, so batches arrive in order and nothing queues on this side: a listener that blocks holds
 * the host's next batch back, and through it the command, as a slow local listener would.
 */
final class ExecStreams {

  private static final String KEY = "af.exec-streams";

  private final Map<String, Stream> open = new ConcurrentHashMap<>();

  /** This member's registry, created on first use. */
  static ExecStreams of(HazelcastInstance hazelcast) {
    return (ExecStreams) hazelcast.getUserContext().computeIfAbsent(KEY, k -> new ExecStreams());
  }

  /** The registry of the member a push landed on; null if it never borrowed. */
  static ExecStreams on(HazelcastInstance hazelcast) {
    return (ExecStreams) hazelcast.getUserContext().get(KEY);
  }

  /** Registers a command about to be sent to its host; forgotten once its result completes. */
  Stream open(String execId, OutputListener listener) {
    Stream stream = new Stream(listener == null ? OutputListener.IGNORE : listener);
    // forgotten before the result completes, so whoever sees the result sees it gone
    stream.onEnd = () -> open.remove(execId, stream);
    open.put(execId, stream);
    return stream;
  }

  /**
   * Hands a pushed batch to its command's listener, in the order given. False tells the host to
   * stop: the command is unknown here (ended, lost) or its listener failed.
   */
  boolean deliver(String execId, List<OutputChunk> batch) {
    Stream stream = open.get(execId);
    return stream != null && stream.deliver(batch);
  }

  int size() {
    return open.size();
  }

  /** One command's output and result, as its caller sees them. */
  static final class Stream {
    private final OutputListener listener;
    private volatile Runnable onEnd = () -> {};
    final CompletableFuture<ExecResult> result = new CompletableFuture<>();

    private Stream(OutputListener listener) {
      this.listener = listener;
    }

    /** Serialised: a push and the final reply's tail never interleave in the listener. */
    synchronized boolean deliver(List<OutputChunk> batch) {
      for (OutputChunk chunk : batch) {
        if (result.isDone()) {
          return false;
        }
        try {
          listener.onOutput(chunk.stream(), chunk.data());
        } catch (RuntimeException e) {
          // as a local sandbox does: the command fails now, the host kills it on its next chunk
          fail(SandboxException.listenerFailed(e));
          return false;
        }
      }
      return !result.isDone();
    }

    /** The host's final reply: the output tail first, then the result. */
    void finish(ExecReply reply) {
      if (!deliver(reply.tail())) {
        return;
      }
      if (reply.outputLost()) {
        fail(
            new SandboxException(
                "output_lost",
                "the host could not stream part of the command's output to this node",
                false));
        return;
      }
      onEnd.run();
      result.complete(
          new ExecResult(
              ExecResult.Status.valueOf(reply.status()),
              reply.exitCode(),
              java.time.Duration.ofNanos(reply.durationNanos()),
              reply.truncated()));
    }

    void fail(RuntimeException failure) {
      onEnd.run();
      result.completeExceptionally(failure);
    }
  }
}
