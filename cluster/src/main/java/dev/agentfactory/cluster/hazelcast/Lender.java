package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.lease.LeaseFencedException;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of borrowing: sandboxes of this node lent to sessions on other nodes. Every call
 * (command, pause/resume/hibernate, file access, return) carries the lease's fencing token and is
 * refused with {@code lease.fenced} unless it is the token the sandbox was lent under; a sandbox
 * whose lease ended without a return (borrower gone, TTL lapsed, reclaimed) is terminated by {@link
 * #sweep}. Failures of the sandbox itself reach the borrower as the same {@link SandboxException} a
 * local caller would get; once the sandbox has ended here (this node's pool terminated it, or init
 * died) the loan ends with it, its record is freed, and the borrower is told with a {@link
 * LentSandboxEndedException}.
 */
final class Lender {

  private static final Logger LOG = LoggerFactory.getLogger(Lender.class);

  /** How long a return waits for the lease record's release before answering the borrower. */
  private static final Duration RETURN_WAIT = Duration.ofSeconds(10);

  /** How long the end of a loan waits for its borrower to hear that its sandbox ended. */
  private static final Duration TELL_WAIT = Duration.ofSeconds(2);

  /** Marks a command cancelled before its {@link PoolTasks.Exec} got here; see {@link #cancel}. */
  private static final CompletableFuture<ExecResult> CANCELLED_EARLY = new CompletableFuture<>();

  /**
   * A lent sandbox, the lease it was lent under, and the borrower's commands running in it now, by
   * exec id, so that {@link #cancel} can stop one.
   */
  record Loan(Sandbox sandbox, Lease lease, Map<String, CompletableFuture<ExecResult>> running) {
    Loan(Sandbox sandbox, Lease lease) {
      this(sandbox, lease, new ConcurrentHashMap<>());
    }
  }

  private final HazelcastWarmPool pool;
  private final HazelcastLeaseRegistry registry;
  private final Map<String, Loan> loans = new ConcurrentHashMap<>();
  // keys of the loans whose borrower is being told that the sandbox ended (see sweep)
  private final Set<String> telling = ConcurrentHashMap.newKeySet();
  private volatile Duration tellWait = TELL_WAIT;

  Lender(HazelcastWarmPool pool, HazelcastLeaseRegistry registry) {
    this.pool = pool;
    this.registry = registry;
  }

  int size() {
    return loans.size();
  }

  /** For tests: how long a borrower that does not answer holds back the end of its loan. */
  void tellWait(Duration wait) {
    tellWait = wait;
  }

  /** Runs on the borrower: the host of one of its borrowed sandboxes says it ended there. */
  void borrowedEnded(String key, long token, String why) {
    pool.borrowedEnded(key, token, why);
  }

  /**
   * The sandbox lent under {@code key}, or null: for tests, which end it behind the loan's back.
   */
  Sandbox lentSandbox(String key) {
    Loan loan = loans.get(key);
    return loan == null ? null : loan.sandbox();
  }

  /** Runs on the host's executor thread: blocking here blocks no event loop. */
  LoanGrant lend(String template, String sessionId, String borrower) {
    Sandbox sandbox = pool.takeForLoan(template);
    if (sandbox == null) {
      return null;
    }
    Lease lease;
    try {
      // from here on the sandbox is nobody's but this call's: any failure must not leak it
      lease = pool.grant(sandbox, borrower, sessionId, template);
      registry.recordBlocking(lease);
    } catch (RuntimeException e) {
      pool.terminate(sandbox);
      throw Failures.translate(e, "lend of a '" + template + "' sandbox");
    }
    loans.put(lease.sandboxId(), new Loan(sandbox, lease));
    pool.countLent();
    return LoanGrant.of(lease, sandbox.id());
  }

  /**
   * Runs a command for the borrower, pushing its output to the borrower's stream {@code execId}
   * while it runs (see {@link OutputPusher}). Returns once the command ended and every pushed batch
   * was taken; output not pushed yet travels in the reply. Blocks this executor thread meanwhile.
   */
  ExecReply exec(
      HazelcastInstance hazelcast,
      String key,
      long token,
      String execId,
      List<String> argv,
      Map<String, String> env,
      Duration timeout,
      long maxOutputBytes) {
    Loan loan = loanUnder(key, token);
    requireAlive(key, loan);
    OutputPusher pusher =
        new OutputPusher(
            hazelcast.getExecutorService(HazelcastConfigs.OUTPUT_EXECUTOR),
            NodeIds.member(hazelcast.getCluster(), loan.lease().ownerNode()),
            execId);
    CompletableFuture<ExecResult> command =
        loan.sandbox()
            .exec(new ExecRequest(argv, env, timeout, maxOutputBytes), pusher)
            .toCompletableFuture();
    if (loan.running().putIfAbsent(execId, command) != null) {
      // the borrower's cancel overtook this call: the command is killed, or never starts
      command.cancel(true);
    }
    ExecResult result;
    try {
      result = await(command);
    } catch (CancellationException e) {
      pusher.finish();
      throw new SandboxException("exec_cancelled", "the borrower cancelled the command", false);
    } catch (RuntimeException e) {
      pusher.finish();
      if (pusher.lost()) {
        throw new SandboxException(
            "output_lost",
            "output of the command could not reach node " + loan.lease().ownerNode(),
            false);
      }
      throw endedIfDead(key, loan, e);
    } finally {
      loan.running().remove(execId);
    }
    List<OutputChunk> tail = pusher.finish().join();
    boolean ended = !loan.sandbox().isAlive();
    if (ended) {
      endLoan(key, loan, "it ended under a command");
    }
    return new ExecReply(
        result.status().name(),
        result.exitCode(),
        result.duration().toNanos(),
        result.truncated(),
        tail,
        pusher.lost(),
        ended);
  }

  /**
   * Stops the borrower's command {@code execId} as a local caller's cancel does: its process group
   * is killed (or it never starts), and its {@link #exec} answers {@code exec_cancelled}. Harmless
   * when the token is not the loan's, the loan ended, or the command ended already. A cancel that
   * overtakes its command's {@link PoolTasks.Exec} (another executor) is kept until the command
   * comes, or until the loan ends. Does not block.
   *
   * @return whether a running command was cancelled
   */
  boolean cancel(String key, long token, String execId) {
    Loan loan = loans.get(key);
    if (loan == null || loan.lease().fencingToken() != token) {
      return false;
    }
    CompletableFuture<ExecResult> command = loan.running().putIfAbsent(execId, CANCELLED_EARLY);
    return command != null && command != CANCELLED_EARLY && command.cancel(true);
  }

  /** How many borrowers' commands run in lent sandboxes now: for tests. */
  int runningCommands() {
    return (int)
        loans.values().stream()
            .flatMap(loan -> loan.running().values().stream())
            .filter(command -> command != CANCELLED_EARLY)
            .count();
  }

  void lifecycle(String key, long token, PoolTasks.Lifecycle.Op op) {
    onLoan(
        key,
        token,
        sandbox ->
            switch (op) {
              case PAUSE -> sandbox.pause();
              case RESUME -> sandbox.resume();
              case HIBERNATE -> sandbox.hibernate();
            });
  }

  byte[] readFile(String key, long token, String path, long maxBytes) {
    return onLoan(key, token, sandbox -> sandbox.readFile(path, maxBytes));
  }

  void writeFile(String key, long token, String path, byte[] content) {
    onLoan(key, token, sandbox -> sandbox.writeFile(path, content));
  }

  List<RemoteFile> listFiles(String key, long token, String path) {
    List<FileEntry> entries = onLoan(key, token, sandbox -> sandbox.listFiles(path));
    List<RemoteFile> remote = new ArrayList<>(entries.size());
    entries.forEach(e -> remote.add(RemoteFile.of(e)));
    return remote;
  }

  /** Runs one call on the loan {@code token} names; see {@link #endedIfDead} for its failures. */
  private <T> T onLoan(String key, long token, Function<Sandbox, CompletionStage<T>> call) {
    Loan loan = loanUnder(key, token);
    requireAlive(key, loan);
    try {
      return await(call.apply(loan.sandbox()));
    } catch (RuntimeException e) {
      throw endedIfDead(key, loan, e);
    }
  }

  /** Refuses a call on a sandbox that ended here before the sweep noticed; ends the loan now. */
  private void requireAlive(String key, Loan loan) {
    if (!loan.sandbox().isAlive()) {
      throw endedIfDead(
          key,
          loan,
          new SandboxException(
              "sandbox_dead",
              "sandbox " + loan.sandbox().id() + " is " + loan.sandbox().state(),
              true));
    }
  }

  /**
   * A failed call's answer: as it is while the sandbox lives; if the sandbox has ended (the call
   * failed because it did, or it died meanwhile) the loan ends now and the borrower is told it is
   * gone for good, with the sandbox's own code.
   */
  private RuntimeException endedIfDead(String key, Loan loan, RuntimeException failure) {
    if (loan.sandbox().isAlive() || !(failure instanceof SandboxException sandbox)) {
      return failure;
    }
    endLoan(key, loan, sandbox.getMessage());
    return new LentSandboxEndedException(sandbox.code(), sandbox.getMessage(), sandbox.retriable());
  }

  /**
   * Tells the borrower, before the record goes, that the sandbox ended: it then stops renewing the
   * lease instead of finding it fenced. Completes once the borrower heard, or after a little wait;
   * if the borrower does not hear it, its heartbeat reports the lease fenced instead. Does not
   * block.
   */
  private CompletableFuture<Void> tellBorrower(Loan loan, String why) {
    Lease lease = loan.lease();
    CompletableFuture<Boolean> told;
    try {
      Member borrower = NodeIds.member(pool.hazelcast().getCluster(), lease.ownerNode());
      if (borrower == null) {
        return CompletableFuture.completedFuture(null);
      }
      told =
          Failures.task(
              pool.hazelcast()
                  .getExecutorService(HazelcastConfigs.CONTROL_EXECUTOR)
                  .submitToMember(
                      new PoolTasks.LoanEnded(lease.sandboxId(), lease.fencingToken(), why),
                      borrower));
    } catch (RuntimeException e) {
      told = CompletableFuture.failedFuture(e);
    }
    return told.orTimeout(tellWait.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (answer, e) -> {
              if (e != null) {
                LOG.debug(
                    "borrower {} not told that {} ended", lease.ownerNode(), lease.sandboxId(), e);
              }
              return null;
            });
  }

  /**
   * Ends the loan of a sandbox that ended here, freeing its record; once, whoever sees it first.
   */
  private void endLoan(String key, Loan loan, String why) {
    if (loans.remove(key, loan)) {
      LOG.info("lent sandbox {} of node {} ended here: {}", key, loan.lease().ownerNode(), why);
      end(loan, "ended on its host");
    }
  }

  /**
   * The sandbox's own failure, not the future's wrapper. It travels to the borrower: a {@link
   * SandboxException} goes without its cause, which may not be serialisable (its code and message
   * are what the borrower's caller reads).
   */
  private static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof SandboxException sandbox) {
        throw sandbox.getCause() == null
            ? sandbox
            : new SandboxException(sandbox.code(), sandbox.getMessage(), sandbox.retriable());
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw e;
    }
  }

  boolean giveBack(String key, long token) {
    Loan loan = loans.get(key);
    if (loan == null || loan.lease().fencingToken() != token || !loans.remove(key, loan)) {
      return false;
    }
    // the borrower's release completes with this call: the sandbox must be dead and its lease
    // record free by then, as after the release of a local sandbox. Terminated on this thread,
    // which waits for it anyway: on the node's closer (2 threads) it would queue behind every
    // other termination there, and this thread would answer after RETURN_WAIT with the sandbox
    // still alive, having held one of the few control threads all that time
    LOG.debug("lent sandbox {} ends: returned", key);
    HeldLeases.closeHere(loan.sandbox());
    try {
      registry
          .release(loan.lease())
          .toCompletableFuture()
          .get(RETURN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      LOG.debug("record of returned sandbox {} not freed in time", key, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return true;
  }

  /**
   * Ends loans whose sandbox has ended here (this node's pool terminated it at its template's
   * lifetime or idle limit, or init died), freeing their records, and terminates lent sandboxes
   * whose lease is no longer live: the borrower left ({@code isMember} is false for its node id),
   * or the record lapsed or was reclaimed. Blocking (one batched read): on the worker.
   */
  void sweep(Predicate<String> isMember) {
    // first and apart from the record read: a dead sandbox's loan ends even while the map is down
    // each borrower is told on its own, not one after the other on this thread: a borrower slow to
    // answer holds back the end of its own loan only, never the tick
    loans.forEach(
        (key, loan) -> {
          if (!loan.sandbox().isAlive() && loans.containsKey(key) && telling.add(key)) {
            String why = "it is " + loan.sandbox().state();
            tellBorrower(loan, why)
                .whenComplete(
                    (v, e) -> {
                      try {
                        endLoan(key, loan, why);
                      } finally {
                        telling.remove(key);
                      }
                    });
          }
        });
    if (loans.isEmpty()) {
      return;
    }
    Set<String> keys = Set.copyOf(loans.keySet());
    Map<String, Lease> live;
    try {
      live = registry.liveLeases(keys);
    } catch (RuntimeException e) {
      LOG.warn("checking {} lent sandboxes failed; the next sweep retries", keys.size(), e);
      return;
    }
    for (String key : keys) {
      Loan loan = loans.get(key);
      if (loan == null) {
        continue;
      }
      Lease current = live.get(key);
      boolean mine =
          current != null
              && current.fencingToken() == loan.lease().fencingToken()
              && isMember.test(loan.lease().ownerNode());
      if (!mine && loans.remove(key, loan)) {
        LOG.info(
            "reclaiming lent sandbox {}: lease {} of node {} ended without a return",
            key,
            loan.lease().leaseId(),
            loan.lease().ownerNode());
        pool.countReclaimed();
        end(loan, "reclaimed");
      }
    }
  }

  /** Terminates every lent sandbox whose borrower is {@code node} (it left the cluster). */
  void borrowerLeft(String node) {
    loans.forEach(
        (key, loan) -> {
          if (loan.lease().ownerNode().equals(node) && loans.remove(key, loan)) {
            LOG.info("reclaiming lent sandbox {}: borrower {} left", key, node);
            pool.countReclaimed();
            end(loan, "borrower left");
          }
        });
  }

  /** Terminates everything lent (this node is stopping). */
  void closeAll() {
    loans.forEach(
        (key, loan) -> {
          if (loans.remove(key, loan)) {
            end(loan, "host stopping");
          }
        });
  }

  private Loan loanUnder(String key, long token) {
    Loan loan = loans.get(key);
    if (loan == null) {
      throw new ClusterException(
          "lease.fenced", "sandbox " + key + " is no longer lent: its lease ended", false);
    }
    if (loan.lease().fencingToken() != token) {
      throw new LeaseFencedException(loan.lease(), "token " + token + " is not the loan's");
    }
    return loan;
  }

  /**
   * Terminates a lent sandbox, then frees its lease record (in that order, so a free record never
   * names a usable sandbox); completes when both are done, whether or not the record was freed.
   */
  private CompletableFuture<Void> end(Loan loan, String why) {
    LOG.debug("lent sandbox {} ends: {}", loan.lease().sandboxId(), why);
    return pool.terminate(loan.sandbox())
        .thenCompose(v -> registry.release(loan.lease()))
        .handle(
            (v, e) -> {
              if (e != null) {
                LOG.debug("record of lent sandbox {} not freed", loan.lease().sandboxId(), e);
              }
              return null;
            });
  }
}
