package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the records of this node's local leases from its own thread, {@code
 * af-lease-record-<node>}: a lease call only queues its write, and the entry processor's
 * serialisation, the partition lookup and the invocation happen here, off the caller's thread. The
 * thread never waits for an answer (each write's result crosses to {@link
 * CallbackPool#executor()}), so writes are pipelined, as many in flight as the cluster takes.
 *
 * <p>Why not one {@code submitToKeys} per batch: Hazelcast sends the batch's entry processor to the
 * backup of every partition it touches, the whole batch each time, so a batch of n leases on n
 * partitions cost n² processor copies; measured, it made things worse (261 leases/s per node).
 *
 * <p>Frees are not sent from here: a release is not on the lease call's path, its caller waits for
 * the free anyway, and one more hand-off made closed-loop lease + release slower (measured ~20%).
 * The pool orders a lease's free after its record by waiting for the record first.
 */
final class LeaseRecorder implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseRecorder.class);
  private static final int MAX_DRAIN = 256;

  /** One queued write and whom to tell. */
  private record Write(
      String key, EntryProcessor<String, LeaseSlot, ?> processor, CompletableFuture<Object> done) {}

  private final IMap<String, LeaseSlot> slots;
  private final LinkedBlockingQueue<Write> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean closed;

  LeaseRecorder(IMap<String, LeaseSlot> slots, String threadName) {
    this.slots = slots;
    this.thread = new Thread(this::run, threadName);
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues a write; completes with the processor's result, on {@link CallbackPool#executor()}. */
  CompletableFuture<Object> submit(String key, EntryProcessor<String, LeaseSlot, ?> processor) {
    CompletableFuture<Object> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(closedError());
      return done;
    }
    queue.add(new Write(key, processor, done));
    if (closed) {
      failQueued(); // closed meanwhile: the loop may be gone, never leave a write waiting
    }
    return done;
  }

  private void run() {
    List<Write> drained = new ArrayList<>();
    while (!closed) {
      try {
        drained.add(queue.take());
        queue.drainTo(drained, MAX_DRAIN);
        for (Write write : drained) {
          send(write);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } finally {
        drained.clear();
      }
    }
    failQueued();
  }

  private void failQueued() {
    List<Write> left = new ArrayList<>();
    queue.drainTo(left);
    for (Write write : left) {
      write.done().completeExceptionally(closedError());
    }
  }

  private void send(Write write) {
    try {
      slots
          .submitToKey(write.key(), write.processor())
          .whenCompleteAsync(
              (result, failure) -> {
                if (failure == null) {
                  write.done().complete(result);
                } else {
                  write.done().completeExceptionally(failure);
                }
              },
              CallbackPool.executor());
    } catch (RuntimeException e) {
      // e.g. this member shut down; never let the loop die, later leases would wait forever
      LOG.debug("lease write for {} not sent", write.key(), e);
      write.done().completeExceptionally(e);
    }
  }

  private static IllegalStateException closedError() {
    return new IllegalStateException("the lease recorder of this node is closed");
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
