package dev.agentfactory.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.cluster.Cluster;
import com.hazelcast.map.IMap;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import dev.agentfactory.cluster.ClusterConfig;
import dev.agentfactory.cluster.lease.Lease;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The heartbeat of a node cut off from the lease quorum: every renew fails (as Hazelcast's
 * split-brain protection fails it), so only the lease's own expiry can tell the node it lost it. No
 * cluster: the map and the cluster clock are stand-ins.
 */
class LeaseHeartbeatTest {

  private static final Duration TTL = Duration.ofSeconds(30);

  private final AtomicLong clusterTime = new AtomicLong(1_000_000);
  private final ExecutorService worker = Executors.newSingleThreadExecutor();
  private final HazelcastLeaseRegistry registry =
      new HazelcastLeaseRegistry(
          belowQuorum(),
          clock(clusterTime),
          "node-a-0000",
          ClusterConfig.builder().leaseTtl(TTL).build(),
          worker,
          key -> 0);
  private final List<Lease> lost = new CopyOnWriteArrayList<>();

  LeaseHeartbeatTest() {
    registry.onLost(lost::add);
  }

  @AfterEach
  void stop() {
    registry.close();
    worker.shutdownNow();
  }

  @Test
  void aLeaseWhoseRenewKeepsFailingIsKeptWithinItsTtl() {
    Lease lease = leaseExpiringIn(TTL);
    registry.adopt(lease);
    clusterTime.addAndGet(TTL.toMillis() - 1);

    registry.heartbeat(1_000);

    assertThat(lost).isEmpty();
    assertThat(registry.holds(lease)).isTrue();
  }

  @Test
  void aLeaseWhoseRenewKeepsFailingIsReportedLostOnceItsTtlHasPassed() {
    Lease lease = leaseExpiringIn(TTL);
    registry.adopt(lease);
    registry.heartbeat(1_000);
    clusterTime.addAndGet(TTL.toMillis());

    registry.heartbeat(1_000);
    registry.heartbeat(1_000);

    assertThat(lost).as("reported once").containsExactly(lease);
    assertThat(registry.holds(lease)).isFalse();
  }

  private Lease leaseExpiringIn(Duration ttl) {
    Instant now = Instant.ofEpochMilli(clusterTime.get());
    return new Lease(
        "lease-1", 42, "node-a-0000", "sbx-1@node-a", "s-1", "shell", now, now.plus(ttl));
  }

  /** A lease map whose every call fails as on the minority side of a split. */
  @SuppressWarnings("unchecked")
  private static IMap<String, LeaseSlot> belowQuorum() {
    return (IMap<String, LeaseSlot>)
        Proxy.newProxyInstance(
            IMap.class.getClassLoader(),
            new Class<?>[] {IMap.class},
            (proxy, method, args) -> {
              if (method.getDeclaringClass() == Object.class) {
                return method.getName().equals("hashCode")
                    ? 0
                    : method.getName().equals("equals") && proxy == args[0];
              }
              SplitBrainProtectionException refused =
                  new SplitBrainProtectionException(
                      "Split brain protection exception: af-lease-quorum has 1 member, 2 required");
              if (method.getName().equals("submitToKeys")) {
                return java.util.concurrent.CompletableFuture.failedFuture(refused);
              }
              throw refused;
            });
  }

  private static Cluster clock(AtomicLong time) {
    return (Cluster)
        Proxy.newProxyInstance(
            Cluster.class.getClassLoader(),
            new Class<?>[] {Cluster.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getClusterTime")) {
                return time.get();
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }
}
