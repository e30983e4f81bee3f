package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.cluster.Cluster;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.lease.LeaseFencedException;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.SandboxState;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sandbox borrowed from a peer. Every call (commands, pause/resume/hibernate, file access) is
 * forwarded to the host's {@code af.loans} executor with this lease's fencing token, so a stale
 * holder is refused by the host itself ({@link LeaseFencedException}). A command's output is
 * streamed back while it runs: the host pushes it to this node's {@link ExecStreams} in order, and
 * the command's stage completes after the last chunk was handed to the listener. Timeout, output
 * cap and truncation are the host sandbox's own, so they behave exactly as on a local sandbox.
 *
 * <p>It is no longer alive ({@link #isAlive()}) once its lease is lost, once it was given back, and
 * once the host answered that the sandbox ended there ({@link LentSandboxEndedException}) or that
 * it no longer lends it under this token ({@code lease.fenced}): a holder that drops a dead sandbox
 * and leases a fresh one then does so for a borrowed one too.
 *
 * <p>The host is named by its node id, and each call goes to the member that is that node when it
 * is made ({@link NodeIds}): a split-brain merge gives the host's member a new UUID.
 */
final class RemoteSandbox implements Sandbox {

  private static final Logger LOG = LoggerFactory.getLogger(RemoteSandbox.class);

  private final String id;
  private final String template;
  private final Lease lease;
  private final String host;
  private final Cluster membership;
  private final IExecutorService executor;
  private final IExecutorService control;
  private final ExecStreams streams;
  private final Set<ExecStreams.Stream> running = ConcurrentHashMap.newKeySet();
  private volatile SandboxState state = SandboxState.LEASED;
  private volatile String lostReason;
  private volatile boolean refused; // lost because the host refused our token
  private final Runnable endedOnHost;
  private final Duration controlTimeout;

  /** Completed with the reason once the sandbox is lost or given back: {@link #whenTerminated}. */
  private final CompletableFuture<String> terminated = new CompletableFuture<>();

  /**
   * @param host the host's node id
   * @param cluster where to find the host's member at each call
   * @param executor where commands run on the host ({@code af.loans})
   * @param control where every other call runs on the host ({@code af.loans.control}): never queued
   *     behind long commands
   * @param controlTimeout how long a call on {@code control} waits for the host's answer (see
   *     {@link #control}); a command on {@code executor} is bounded by its own timeout on the host
   *     instead
   * @param endedOnHost run once the host said the sandbox or its loan is gone: the lease is not
   *     worth renewing any more (the host frees its record), and the holder finds out through
   *     {@link #isAlive()} when it next uses the sandbox, as with a local one
   */
  RemoteSandbox(
      String id,
      String template,
      Lease lease,
      String host,
      Cluster cluster,
      IExecutorService executor,
      IExecutorService control,
      ExecStreams streams,
      Duration controlTimeout,
      Runnable endedOnHost) {
    this.controlTimeout = controlTimeout;
    this.control = control;
    this.endedOnHost = endedOnHost;
    this.id = id;
    this.template = template;
    this.lease = lease;
    this.host = host;
    this.membership = cluster;
    this.executor = executor;
    this.streams = streams;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String template() {
    return template;
  }

  /** The host's node id. */
  String host() {
    return host;
  }

  @Override
  public CompletionStage<ExecResult> exec(ExecRequest request, OutputListener listener) {
    RuntimeException lost = lostError();
    if (lost != null) {
      return CompletableFuture.failedFuture(lost);
    }
    String execId = UUID.randomUUID().toString();
    ExecStreams.Stream stream = streams.open(execId, listener);
    running.add(stream);
    stream.result.whenComplete((r, e) -> running.remove(stream));
    if (lostReason != null) {
      // lost between the check and the registration: lost() may have missed this stream
      stream.fail(lostError());
      return stream.result.copy();
    }
    call(
            executor,
            new PoolTasks.Exec(
                lease.sandboxId(),
                lease.fencingToken(),
                execId,
                request.argv(),
                request.env(),
                request.timeout(),
                request.maxOutputBytes()))
        .whenComplete(
            (reply, e) -> {
              if (e != null) {
                stream.fail(failure(e));
              } else {
                if (reply.sandboxEnded()) {
                  // lost before the caller sees the result, as a local sandbox is dead by then
                  running.remove(stream);
                  lost("it ended on its host", false, null);
                }
                stream.finish(reply);
              }
            });
    // a copy: a caller completing its stage must not disturb the stream; cancelling it is how a
    // caller stops the command, as on a local sandbox
    CompletableFuture<ExecResult> caller = stream.result.copy();
    caller.whenComplete(
        (r, e) -> {
          if (caller.isCancelled()) {
            cancel(execId, stream);
          }
        });
    return caller;
  }

  /**
   * The caller cancelled command {@code execId}: the host kills it. The stream ends here at once,
   * so output still on its way is refused, which also makes a host that does not know {@link
   * PoolTasks.CancelExec} (an older node during a rolling upgrade) kill the command at its next
   * chunk of output. A host that is gone took the command with it.
   */
  private void cancel(String execId, ExecStreams.Stream stream) {
    stream.fail(new SandboxException("exec_cancelled", "the caller cancelled the command", false));
    call(control, new PoolTasks.CancelExec(lease.sandboxId(), lease.fencingToken(), execId))
        .whenComplete(
            (stopped, e) -> {
              if (e != null) {
                LOG.debug("cancel of exec {} on host {} not delivered", execId, host, e);
              }
            });
  }

  @Override
  public CompletionStage<Void> pause() {
    return lifecycle(PoolTasks.Lifecycle.Op.PAUSE, SandboxState.PAUSED);
  }

  @Override
  public CompletionStage<Void> resume() {
    return lifecycle(PoolTasks.Lifecycle.Op.RESUME, SandboxState.LEASED);
  }

  @Override
  public CompletionStage<Void> hibernate() {
    return lifecycle(PoolTasks.Lifecycle.Op.HIBERNATE, SandboxState.HIBERNATED);
  }

  /**
   * A pause, resume or hibernate the host does not answer in time leaves the sandbox's state
   * unknown here (the host may still carry it out): the sandbox is given back, and the call fails
   * with {@code sandbox_lost}, as for a sandbox that ended, so its holder leases a fresh one.
   */
  private CompletionStage<Void> lifecycle(PoolTasks.Lifecycle.Op op, SandboxState after) {
    String what = "a " + op.name().toLowerCase(Locale.ROOT);
    return forward(new PoolTasks.Lifecycle(lease.sandboxId(), lease.fencingToken(), op), what)
        .handle(
            (done, e) -> {
              if (e == null) {
                // the borrower is the sandbox's only user: the host's state follows our calls
                if (lostReason == null) {
                  state = after;
                }
                return null;
              }
              Throwable failure = Failures.unwrap(e);
              if (failure instanceof ClusterException timeout
                  && Failures.PEER_TIMEOUT.equals(timeout.code())) {
                giveBack("its host did not answer " + what + " in time");
                throw new SandboxException(
                    "sandbox_lost",
                    "sandbox " + id + " is lost: " + timeout.getMessage(),
                    false,
                    timeout);
              }
              throw failure instanceof RuntimeException runtime
                  ? runtime
                  : new CompletionException(failure);
            });
  }

  @Override
  public CompletionStage<byte[]> readFile(String path, long maxBytes) {
    return forward(
        new PoolTasks.ReadFile(lease.sandboxId(), lease.fencingToken(), path, maxBytes),
        "a file read");
  }

  @Override
  public CompletionStage<Void> writeFile(String path, byte[] content) {
    return forward(
            new PoolTasks.WriteFile(lease.sandboxId(), lease.fencingToken(), path, content),
            "a file write")
        .thenAccept(done -> {});
  }

  @Override
  public CompletionStage<List<FileEntry>> listFiles(String path) {
    return forward(
            new PoolTasks.ListFiles(lease.sandboxId(), lease.fencingToken(), path),
            "a file listing")
        .thenApply(files -> files.stream().map(RemoteFile::entry).toList());
  }

  @Override
  public boolean isAlive() {
    return lostReason == null;
  }

  /**
   * Completes as soon as this node learns that the sandbox is gone: given back ({@code returned}),
   * ended on its host (the host's {@link PoolTasks.LoanEnded}, or its answer to a call), refused by
   * the host, or its lease lost (the {@link dev.agentfactory.cluster.pool.LeaseLostListener} code,
   * e.g. {@code sandbox_host_left}; the pool's lost-listeners are told before this completes).
   */
  @Override
  public CompletionStage<String> whenTerminated() {
    return terminated.minimalCompletionStage();
  }

  /** As the host last reported it through this node's calls; no round trip. */
  @Override
  public SandboxState state() {
    return lostReason == null ? state : SandboxState.TERMINATED;
  }

  /**
   * The lease ended without a return: running commands and every later call fail with {@code
   * sandbox_lost}.
   */
  void lost(String reason) {
    lost(reason, false, null);
  }

  /**
   * The host ended the sandbox's loan (it ended there) and says so ahead of any call. Later calls
   * fail with {@code sandbox_lost}; a command running now is left to the host's own reply, which
   * comes as the command ended with the sandbox ({@code KILLED}, or the sandbox's error), so the
   * caller sees the same result whichever of the two messages arrives first.
   */
  void endedOnHost(String why) {
    String reason = "it ended on its host: " + why;
    markLost(reason, false);
    terminated.complete(reason);
  }

  /**
   * Lost by the host's word; running commands fail with {@code error}, or with {@code sandbox_lost}
   * if null.
   */
  private void lost(String reason, boolean byRefusal, RuntimeException error) {
    markLost(reason, byRefusal);
    RuntimeException failure = error != null ? error : lostError();
    for (ExecStreams.Stream stream : List.copyOf(running)) {
      stream.fail(failure);
    }
    terminated.complete(reason);
  }

  /** From now on calls fail; the first time, the lease is given up. */
  private void markLost(String reason, boolean byRefusal) {
    boolean first = lostReason == null;
    refused = byRefusal;
    lostReason = reason;
    if (first) {
      endedOnHost.run();
    }
  }

  /** Gives the sandbox back to its host, which terminates it; fire and forget. */
  @Override
  public void close() {
    giveBack();
  }

  /**
   * Completes once the host has terminated the sandbox and freed its lease record (or given up
   * after 10 s), or at once if it is gone already. False if the host did not answer within the
   * control call timeout: the return still runs there once a thread is free, or the host's sweep
   * ends the loan when its record lapses.
   */
  CompletionStage<Boolean> giveBack() {
    return giveBack("returned");
  }

  private CompletionStage<Boolean> giveBack(String reason) {
    if (lostReason != null) {
      return CompletableFuture.completedFuture(false);
    }
    lost(reason);
    return control(new PoolTasks.Return(lease.sandboxId(), lease.fencingToken()), "a return")
        .exceptionally(
            e -> {
              LOG.info("sandbox {} not given back to its host {}", id, host, Failures.unwrap(e));
              return false;
            });
  }

  private RuntimeException lostError() {
    String lost = lostReason;
    if (lost == null) {
      return null;
    }
    return refused
        ? new LeaseFencedException(lease, "refused by its host: " + lost)
        : new SandboxException("sandbox_lost", "sandbox " + id + " is lost: " + lost, false);
  }

  private <T> CompletionStage<T> forward(Callable<T> task, String what) {
    RuntimeException lost = lostError();
    if (lost != null) {
      return CompletableFuture.failedFuture(lost);
    }
    return control(task, what)
        .handle(
            (value, e) -> {
              if (e != null) {
                throw failure(e);
              }
              return value;
            });
  }

  /**
   * What the caller sees of a failed call: the sandbox's own error as the host raised it, {@link
   * LeaseFencedException} when the host refused the token, {@code sandbox_lost} once the lease is
   * gone, else the cluster failure. The first two mark this sandbox lost when they say it is gone
   * for good: it ended on its host, or the host no longer lends it under this lease.
   */
  private RuntimeException failure(Throwable failure) {
    Throwable cause = Failures.unwrap(failure);
    if (cause instanceof LentSandboxEndedException ended) {
      // a plain SandboxException to the caller, as a local sandbox's would be
      SandboxException error =
          new SandboxException(ended.code(), ended.getMessage(), ended.retriable());
      lost("it ended on its host: " + ended.getMessage(), false, error);
      return error;
    }
    if (cause instanceof SandboxException sandbox) {
      return sandbox;
    }
    if (cause instanceof ClusterException cluster && "lease.fenced".equals(cluster.code())) {
      LeaseFencedException fenced =
          new LeaseFencedException(lease, "refused by its host: " + cluster.getMessage());
      lost(cluster.getMessage(), true, fenced);
      return fenced;
    }
    if (cause instanceof MemberLeftException
        || cause instanceof TargetNotMemberException
        || cause instanceof HostGoneException) {
      // the sandbox went with its host; the pool tells the lease's listeners (HOST_LEFT)
      return new SandboxException(
          "sandbox_lost", "sandbox " + id + " is lost: its host " + host + " left", false);
    }
    RuntimeException lost = lostError();
    if (lost != null) {
      return lost;
    }
    return Failures.translate(cause, "call to sandbox host " + host);
  }

  /**
   * A call on the host's {@code af.loans.control}, failing with {@code cluster.peer_timeout} if the
   * host does not answer within {@link #controlTimeout}: Hazelcast itself would wait for ever on a
   * host that is alive but whose control threads are all busy or stuck ({@link
   * HazelcastConfigs#CONTROL_CALL_TIMEOUT}).
   */
  private <T> CompletableFuture<T> control(Callable<T> task, String what) {
    return Failures.within(call(control, task), controlTimeout, host, what, null);
  }

  private <T> CompletableFuture<T> call(IExecutorService on, Callable<T> task) {
    // bridged, not an ExecutionCallback: Hazelcast runs those on a new thread each on small hosts
    try {
      Member member = NodeIds.member(membership, host);
      if (member == null) {
        return CompletableFuture.failedFuture(new HostGoneException());
      }
      return Failures.task(on.submitToMember(task, member));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** No member is the host's node now. */
  private static final class HostGoneException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HostGoneException() {
      super(null, null, false, false);
    }
  }
}
