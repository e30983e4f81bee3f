package dev.agentfactory.cluster.hazelcast;

import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.lease.LeaseFencedException;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of borrowing: sandboxes of this node lent to sessions on other nodes. Every call
 * carries the lease's fencing token and is refused unless it is the token the sandbox was lent
 * under; a sandbox whose lease ended without a return (borrower gone, TTL lapsed, reclaimed) is
 * terminated by {@link #sweep}.
 */
final class Lender {

  private static final Logger LOG = LoggerFactory.getLogger(Lender.class);

  /** A lent sandbox and the lease it was lent under. */
  record Loan(Sandbox sandbox, Lease lease) {}

  private final HazelcastWarmPool pool;
  private final HazelcastLeaseRegistry registry;
  private final Map<String, Loan> loans = new ConcurrentHashMap<>();

  Lender(HazelcastWarmPool pool, HazelcastLeaseRegistry registry) {
    this.pool = pool;
    this.registry = registry;
  }

  int size() {
    return loans.size();
  }

  /** Runs on the host's executor thread: blocking here blocks no event loop. */
  LoanGrant lend(String template, String sessionId, String borrower) {
    Sandbox sandbox = pool.takeForLoan(template);
    if (sandbox == null) {
      return null;
    }
    Lease lease = pool.grant(sandbox, borrower, sessionId, template);
    try {
      registry.record(lease).toCompletableFuture().join();
    } catch (RuntimeException e) {
      pool.terminate(sandbox);
      throw Failures.translate(e, "lend of a '" + template + "' sandbox");
    }
    loans.put(lease.sandboxId(), new Loan(sandbox, lease));
    pool.countLent();
    return LoanGrant.of(lease, sandbox.id());
  }

  ExecReply exec(
      String key,
      long token,
      List<String> argv,
      Map<String, String> env,
      Duration timeout,
      long maxOutputBytes) {
    Loan loan = loanUnder(key, token);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    OutputListener collect =
        (stream, chunk) -> {
          synchronized (out) {
            (stream == OutputListener.Stream.STDOUT ? out : err).writeBytes(chunk);
          }
        };
    ExecResult result =
        loan.sandbox()
            .exec(new ExecRequest(argv, env, timeout, maxOutputBytes), collect)
            .toCompletableFuture()
            .join();
    synchronized (out) {
      return new ExecReply(
          result.status().name(),
          result.exitCode(),
          result.duration().toNanos(),
          result.truncated(),
          out.toByteArray(),
          err.toByteArray());
    }
  }

  boolean giveBack(String key, long token) {
    Loan loan = loans.get(key);
    if (loan == null || loan.lease().fencingToken() != token || !loans.remove(key, loan)) {
      return false;
    }
    end(loan, "returned");
    return true;
  }

  /**
   * Terminates lent sandboxes whose lease is no longer live: the borrower left ({@code isMember}),
   * or the record lapsed or was reclaimed. Blocking (one batched read): on the worker.
   */
  void sweep(Predicate<String> isMember) {
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

  private void end(Loan loan, String why) {
    LOG.debug("lent sandbox {} ends: {}", loan.lease().sandboxId(), why);
    pool.terminate(loan.sandbox());
    registry
        .release(loan.lease())
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                LOG.debug("record of lent sandbox {} not freed", loan.lease().sandboxId(), e);
              }
            });
  }
}
