package dev.agentfactory.cluster.hazelcast;

import static dev.agentfactory.cluster.hazelcast.DistributedPoolIT.join;
import static dev.agentfactory.cluster.hazelcast.TestCluster.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import dev.agentfactory.cluster.hazelcast.PoolNodes.Node;
import dev.agentfactory.cluster.pool.PoolConfig;
import dev.agentfactory.cluster.pool.PooledSandbox;
import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.SandboxPool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tenant quotas on real members: reserve and release are idempotent per holder, so a retry after a
 * failure whose first attempt may have been applied counts once; a reserve or release that times
 * out (its partition's thread is held up by a slow operation, as on an overloaded or stalled
 * member) is retried; the holds of nodes that are gone are swept; a node puts back the holds of its
 * leases and releases its holds without one (what it does after a split-brain merge).
 */
class TenantQuotaIT {

  /** Hazelcast's call timeout for the tests that stall a partition: 2 s instead of 60 s. */
  private static final String CALL_TIMEOUT = "hazelcast.operation.call.timeout.millis";

  /** How long a stalled partition's thread is held up: longer than a call times out in. */
  private static final Duration STALL = Duration.ofSeconds(7);

  private final PoolNodes nodes = new PoolNodes(2);

  @AfterEach
  void stop() {
    nodes.close();
    System.clearProperty(CALL_TIMEOUT);
  }

  @Test
  void aRepeatedReserveOrReleaseOfOneHolderCountsOnce() {
    Node a = nodes.start(0);
    Node b = nodes.start(0);
    awaitMembers(a, b);
    IMap<String, TenantHolds> fromA = holds(a);
    IMap<String, TenantHolds> fromB = holds(b);
    long now = hazelcast(a).getCluster().getClusterTime();

    assertThat(fromA.executeOnKey("acme", QuotaProcessor.reserve("h1", a.id(), 2, now))).isTrue();
    assertThat(fromB.executeOnKey("acme", QuotaProcessor.reserve("h1", a.id(), 2, now)))
        .as("the same reserve again, as a retry sends it: it holds, once")
        .isTrue();
    assertThat(fromA.get("acme").count()).isEqualTo(1);
    assertThat(fromB.executeOnKey("acme", QuotaProcessor.reserve("h2", b.id(), 2, now))).isTrue();
    assertThat(fromA.executeOnKey("acme", QuotaProcessor.reserve("h3", a.id(), 2, now)))
        .as("the tenant is at its limit")
        .isFalse();
    assertThat(fromA.executeOnKey("acme", QuotaProcessor.reserve("h1", a.id(), 2, now)))
        .as("a retry of a reserve that was applied still finds its hold at the limit")
        .isTrue();
    assertThat(fromA.get("acme").holds().keySet()).containsExactlyInAnyOrder("h1", "h2");

    assertThat(fromB.executeOnKey("acme", QuotaProcessor.release("h1"))).isTrue();
    assertThat(fromA.executeOnKey("acme", QuotaProcessor.release("h1")))
        .as("a repeated release frees nothing of anyone else's")
        .isFalse();
    assertThat(fromA.get("acme").holds().keySet()).containsExactly("h2");
    assertThat(fromA.executeOnKey("acme", QuotaProcessor.release("h2"))).isTrue();
    assertThat(fromB.get("acme")).as("no holds, no entry").isNull();
  }

  @Test
  void aReserveThatTimesOutIsRetriedAndTheLeaseIsCountedOnce() {
    System.setProperty(CALL_TIMEOUT, "2000");
    Node a = nodes.start(1, PoolNodes.fastPool().withQuotas(1, Map.of()), x -> x);
    Node b = nodes.start(0, PoolNodes.fastPool().withQuotas(1, Map.of()), x -> x);
    awaitMembers(a, b);
    awaitReady(a, 1);
    String tenant = keyOwnedBy(b, "tenant-");

    CompletableFuture<Object> stalled = stallPartitionOf(a, tenant);
    long start = System.nanoTime();
    PooledSandbox leased = join(a.pool().lease("s-1", tenant, "shell"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(took).as("the first reserve timed out behind the stall").isGreaterThan(seconds(2));
    assertThat(leased.tenant()).isEqualTo(tenant);
    stalled.join();
    assertThat(holds(b).get(tenant).count()).isEqualTo(1);

    join(a.pool().release(leased));
    await(Duration.ofSeconds(10), "the hold is given back", () -> holds(b).get(tenant) == null);
  }

  @Test
  void aReleaseThatTimesOutIsRetriedUntilItIsApplied() {
    System.setProperty(CALL_TIMEOUT, "2000");
    Node a = nodes.start(1, PoolNodes.fastPool().withQuotas(1, Map.of()), x -> x);
    Node b = nodes.start(0, PoolNodes.fastPool().withQuotas(1, Map.of()), x -> x);
    awaitMembers(a, b);
    awaitReady(a, 1);
    String tenant = keyOwnedBy(b, "tenant-");
    PooledSandbox leased = join(a.pool().lease("s-1", tenant, "shell"));
    assertThat(holds(b).get(tenant).count()).isEqualTo(1);

    CompletableFuture<Object> stalled = stallPartitionOf(a, tenant);
    a.pool().release(leased);
    stalled.join();

    await(
        Duration.ofSeconds(20),
        "the release is sent again until it is applied",
        () -> holds(b).get(tenant) == null && pool(a).quotas().pendingReleases() == 0);
  }

  @Test
  void theSweepDropsOldHoldsOfNodesThatAreGone() {
    Node a = nodes.start(0);
    Node b = nodes.start(0);
    awaitMembers(a, b);
    IMap<String, TenantHolds> map = holds(a);
    long now = hazelcast(a).getCluster().getClusterTime();
    long anHourAgo = now - Duration.ofHours(1).toMillis();
    map.executeOnKey("acme", QuotaProcessor.reserve("gone-old", "gone-node", 9, anHourAgo));
    map.executeOnKey("acme", QuotaProcessor.reserve("gone-new", "gone-node", 9, now));
    map.executeOnKey("acme", QuotaProcessor.reserve("live", b.id(), 9, anHourAgo));
    map.executeOnKey("beta", QuotaProcessor.reserve("gone-only", "gone-node", 9, anHourAgo));

    pool(a).quotas().sweep(NodeIds.present(hazelcast(a).getCluster()));

    assertThat(map.get("acme").holds().keySet())
        .as("a hold of a node that is gone is swept once it is older than the sweep's margin")
        .containsExactlyInAnyOrder("gone-new", "live");
    assertThat(map.get("beta")).isNull();
  }

  @Test
  void aNodePutsBackTheHoldsOfItsLeasesAndReleasesItsHoldsWithoutOne() {
    PoolConfig pool = PoolNodes.fastPool().withQuotas(0, Map.of("acme", 1));
    Node a = nodes.start(1, pool, x -> x);
    Node b = nodes.start(0, pool, x -> x);
    awaitMembers(a, b);
    awaitReady(a, 1);
    PooledSandbox leased = join(a.pool().lease("s-1", "acme", "shell"));
    IMap<String, TenantHolds> map = holds(b);
    String holder = map.get("acme").holds().keySet().iterator().next();
    long now = hazelcast(b).getCluster().getClusterTime();
    // as a merge that kept the other side's entries leaves it: a's hold is gone, and holds under
    // a's id that a no longer has a lease for are there, next to b's own
    map.remove("acme");
    map.executeOnKey("acme", QuotaProcessor.reserve("ended-on-a", a.id(), 5, now));
    map.executeOnKey("acme", QuotaProcessor.reserve("on-b", b.id(), 5, now));
    map.executeOnKey("beta", QuotaProcessor.reserve("ended-too", a.id(), 5, now));

    pool(a).quotas().reconcile();

    await(
        Duration.ofSeconds(10),
        "a's lease holds again, above acme's quota of 1, and a's other holds are gone",
        () ->
            map.get("acme") != null
                && map.get("acme").holds().keySet().equals(Set.of(holder, "on-b"))
                && map.get("beta") == null);

    join(a.pool().release(leased));
    await(
        Duration.ofSeconds(10),
        "the hold that was put back is given back with its lease",
        () -> map.get("acme").holds().keySet().equals(Set.of("on-b")));
  }

  @Test
  void aLeaseWhoseLocalPoolThrowsFailsItsStageAndGivesItsQuotaHoldBack() {
    AtomicBoolean throwing = new AtomicBoolean(true);
    PoolConfig pool = PoolNodes.fastPool().withQuotas(0, Map.of("acme", 1));
    Node a = nodes.start(1, pool, x -> x, local -> new ThrowingPool(local, throwing));
    Node b = nodes.start(0, pool, x -> x);
    awaitMembers(a, b);
    awaitReady(a, 1);
    LeaseOptions options = LeaseOptions.NONE.withEnv(Map.of("TASK", "42"));

    assertThatThrownBy(() -> join(a.pool().lease("s-1", "acme", "shell", options)))
        .hasMessageContaining("local pool threw");
    await(
        Duration.ofSeconds(10),
        "the failed lease's hold is given back",
        () -> holds(b).get("acme") == null);
    assertThat(a.pool().lease("s-0", "no-quota", "shell", options).toCompletableFuture())
        .as("a tenant without a quota gets the failure in the stage, not thrown")
        .isCompletedExceptionally();

    throwing.set(false);
    PooledSandbox leased = join(a.pool().lease("s-2", "acme", "shell", options));
    assertThat(holds(b).get("acme").count()).isEqualTo(1);
    join(a.pool().release(leased));
  }

  /** A local pool whose leases with options throw at once instead of failing their stage. */
  private static final class ThrowingPool extends ForwardingPool {
    private final AtomicBoolean throwing;

    ThrowingPool(SandboxPool local, AtomicBoolean throwing) {
      super(local);
      this.throwing = throwing;
    }

    @Override
    public CompletionStage<Sandbox> lease(String template, LeaseOptions options) {
      if (throwing.get()) {
        throw new SandboxException("lease_failed", "the local pool threw", false);
      }
      return super.lease(template, options);
    }
  }

  /** Holds up the thread of {@code key}'s partition on its owner for {@link #STALL}. */
  private static CompletableFuture<Object> stallPartitionOf(Node from, String key) {
    HazelcastInstance hazelcast = hazelcast(from);
    int partition = hazelcast.getPartitionService().getPartition(key).getPartitionId();
    String neighbour = null;
    for (int i = 0; neighbour == null; i++) {
      String candidate = "stall-" + i;
      if (hazelcast.getPartitionService().getPartition(candidate).getPartitionId() == partition) {
        neighbour = candidate;
      }
    }
    IMap<String, Object> map = hazelcast.getMap(HazelcastConfigs.QUOTA_MAP);
    CompletableFuture<Object> stalled =
        map.submitToKey(neighbour, new Stall(STALL.toMillis())).toCompletableFuture();
    // let the stall reach the partition's thread before the call it is to hold up
    sleep(Duration.ofMillis(300));
    return stalled.handle((v, e) -> null);
  }

  /** Sleeps on the partition's thread; no backup. */
  record Stall(long millis) implements EntryProcessor<String, Object, Object> {
    @Override
    public Object process(Map.Entry<String, Object> entry) {
      sleep(Duration.ofMillis(millis));
      return null;
    }

    @Override
    public EntryProcessor<String, Object, Object> getBackupProcessor() {
      return null;
    }
  }

  /** A key whose partition {@code owner} owns. */
  private static String keyOwnedBy(Node owner, String prefix) {
    HazelcastInstance hazelcast = hazelcast(owner);
    for (int i = 0; ; i++) {
      String key = prefix + i;
      if (hazelcast.getPartitionService().getPartition(key).getOwner().localMember()) {
        return key;
      }
    }
  }

  private static IMap<String, TenantHolds> holds(Node node) {
    return hazelcast(node).getMap(HazelcastConfigs.QUOTA_MAP);
  }

  private static HazelcastWarmPool pool(Node node) {
    return (HazelcastWarmPool) node.pool();
  }

  private static HazelcastInstance hazelcast(Node node) {
    return ((HazelcastClusterNode) node.cluster()).hazelcast();
  }

  private static void awaitMembers(Node... members) {
    await(
        Duration.ofSeconds(30),
        "the members see each other",
        () -> List.of(members).stream().allMatch(n -> n.cluster().health().memberCount() == 2));
  }

  private static void awaitReady(Node node, int ready) {
    await(
        Duration.ofSeconds(30),
        "the local pool has " + ready + " warm sandboxes",
        () -> node.sandboxes().stats().ready().getOrDefault("shell", 0) >= ready);
  }

  private static Duration seconds(long seconds) {
    return Duration.ofSeconds(seconds);
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
