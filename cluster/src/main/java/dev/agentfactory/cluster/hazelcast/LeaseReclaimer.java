package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import java.util.Iterator;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reclaims the leases of a member that left. Only the oldest surviving member runs the reclaim (one
 * distributed query per departure instead of one per survivor); if it dies mid-way, the departed
 * member's leases still lapse by TTL, since nobody renews them.
 */
final class LeaseReclaimer implements MembershipListener {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseReclaimer.class);

  private final HazelcastLeaseRegistry registry;
  private final Executor worker;

  LeaseReclaimer(HazelcastLeaseRegistry registry, Executor worker) {
    this.registry = registry;
    this.worker = worker;
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    LOG.info("Member {} joined; {} members", event.getMember(), event.getMembers().size());
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    String departed = NodeIds.of(event.getMember());
    LOG.info("Member {} left; {} members", event.getMember(), event.getMembers().size());
    Iterator<Member> members = event.getMembers().iterator();
    if (!members.hasNext() || !members.next().localMember()) {
      return;
    }
    // the listener runs on a Hazelcast event thread: the distributed reclaim goes to our worker
    worker.execute(
        () -> {
          try {
            int reclaimed = registry.reclaim(departed);
            LOG.info("Reclaimed {} leases of departed member {}", reclaimed, departed);
          } catch (RuntimeException e) {
            // not retried: the departed member's leases lapse by TTL anyway
            LOG.warn("Reclaiming the leases of {} failed; they lapse by TTL instead", departed, e);
          }
        });
  }
}
