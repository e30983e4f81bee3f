package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.pool.LeaseLostListener;
import dev.agentfactory.cluster.pool.PooledSandbox;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The borrower's side of a loan (the host's is the {@link Lender}): asks a peer to lend a warm
 * sandbox, and holds the lease it grants as a {@link RemoteSandbox} among this node's {@link
 * HeldLeases}.
 */
final class Borrower {

  // the pool's logger: these messages were always the pool's
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastWarmPool.class);

  private final HazelcastInstance hazelcast;
  private final HazelcastLeaseRegistry registry;
  private final String nodeId;
  private final HeldLeases held;
  private final PoolCounts counts;
  private final IExecutorService loans;
  private final IExecutorService control;
  private volatile Duration controlTimeout = HazelcastConfigs.CONTROL_CALL_TIMEOUT;

  Borrower(
      HazelcastInstance hazelcast,
      HazelcastLeaseRegistry registry,
      String nodeId,
      HeldLeases held,
      PoolCounts counts) {
    this.hazelcast = hazelcast;
    this.registry = registry;
    this.nodeId = nodeId;
    this.held = held;
    this.counts = counts;
    this.loans = hazelcast.getExecutorService(HazelcastConfigs.LOAN_EXECUTOR);
    this.control = hazelcast.getExecutorService(HazelcastConfigs.CONTROL_EXECUTOR);
  }

  /**
   * For tests: how long a borrow, and each control call on a sandbox borrowed after this, waits for
   * the host ({@link HazelcastConfigs#CONTROL_CALL_TIMEOUT}).
   */
  void controlTimeout(Duration limit) {
    controlTimeout = limit;
  }

  /**
   * Borrows a warm sandbox of {@code template} from {@code host}: the lease on it, or null if the
   * host had none to lend, could not be asked, or did not answer within the control call timeout
   * (the caller then starts one here). A loan the host grants after that is given back at once, so
   * it is not left lent to nobody until its lease lapses.
   *
   * @param holder the lease's hold on its tenant's quota, or null if the tenant has no quota
   */
  CompletionStage<PooledSandbox> borrow(
      Member host, String sessionId, String tenant, String template, String holder) {
    counts.remoteCalls.increment();
    String hostNode = NodeIds.of(host);
    // a host of a version before node ids knows its borrowers by member UUID, and would end a loan
    // to an id it cannot find among the members as orphaned (a rolling update mixes versions)
    String borrower =
        host.getAttribute(NodeIds.ATTRIBUTE) != null
            ? nodeId
            : hazelcast.getCluster().getLocalMember().getUuid().toString();
    Duration limit = controlTimeout;
    CompletableFuture<LoanGrant> answer =
        Failures.within(
            Failures.guardedTask(
                "borrow from " + host,
                () ->
                    control.submitToMember(
                        new PoolTasks.Borrow(template, sessionId, borrower), host)),
            limit,
            hostNode,
            "a borrow",
            late -> giveBackLate(hostNode, late));
    return answer.handle(
        (grant, e) -> {
          if (e != null) {
            LOG.info(
                "borrowing a '{}' sandbox from {} failed; starting one here", template, host, e);
            return null;
          }
          if (grant == null) {
            return null;
          }
          Lease lease = grant.lease();
          RemoteSandbox sandbox =
              new RemoteSandbox(
                  grant.sandboxId(),
                  template,
                  lease,
                  hostNode,
                  hazelcast.getCluster(),
                  loans,
                  control,
                  ExecStreams.of(hazelcast),
                  limit,
                  // the host frees the record: renewing it on would report it fenced (fatal to
                  // the session) where a sandbox that ended is only dropped and replaced
                  () -> registry.forget(lease));
          PooledSandbox leased = new PooledSandbox(sandbox, lease, tenant, hostNode, true);
          held.hold(leased, holder);
          registry.adopt(lease);
          counts.borrowedLeases.increment();
          // the host may have left while the answer was on its way
          if (NodeIds.member(hazelcast.getCluster(), hostNode) == null) {
            held.lost(leased, LeaseLostListener.Reason.HOST_LEFT);
          }
          return leased;
        });
  }

  /** Returns a loan granted after this node stopped waiting for it: nobody here holds it. */
  private void giveBackLate(String hostNode, LoanGrant grant) {
    if (grant == null) {
      return;
    }
    Lease lease = grant.lease();
    LOG.info(
        "node {} lent {} after the borrow timed out; giving it back", hostNode, lease.sandboxId());
    Failures.guardedTask(
            "return of " + lease.sandboxId() + " to " + hostNode,
            () -> {
              Member member = NodeIds.member(hazelcast.getCluster(), hostNode);
              if (member == null) {
                return CompletableFuture.completedFuture(false); // it went with its host
              }
              return control.submitToMember(
                  new PoolTasks.Return(lease.sandboxId(), lease.fencingToken()), member);
            })
        .whenComplete(
            (returned, e) -> {
              if (e != null) {
                // the host's sweep ends the loan once its record lapses
                LOG.info("late loan {} not given back to {}", lease.sandboxId(), hostNode, e);
              }
            });
  }
}
