package dev.agentfactory.cluster.hazelcast;

import static dev.agentfactory.cluster.hazelcast.DistributedPoolIT.awaitAdvertised;
import static dev.agentfactory.cluster.hazelcast.DistributedPoolIT.join;
import static dev.agentfactory.cluster.hazelcast.DistributedPoolIT.output;
import static dev.agentfactory.cluster.hazelcast.TestCluster.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent.LifecycleState;
import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.hazelcast.PoolNodes.Node;
import dev.agentfactory.cluster.pool.LeaseLostListener;
import dev.agentfactory.cluster.pool.PoolConfig;
import dev.agentfactory.cluster.pool.PooledSandbox;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real split-brain merge in one JVM. Node c starts first and forms a cluster of its own: it lists
 * a's address, but a is not up yet. Nodes a and b then form a second cluster with the same name
 * that does not list c. c's split-brain check finds the larger cluster at a's address and merges
 * into it, exactly as the smaller side does when a network split heals: Hazelcast resets c's
 * member, gives it a new UUID, rejoins it and merges c's map entries (PutIfAbsent). What c held
 * before the merge (a lease, its quota hold, its stock) and what it does after must stay c's: peers
 * borrow from it, lend to it, and reclaim what it held when it dies. When both sides have an entry
 * for a tenant, the merge keeps the larger side's, and c must count its hold into it again.
 */
class SplitBrainMergeIT {

  private static final Map<String, String> FAST_MERGE =
      Map.of(
          "hazelcast.merge.first.run.delay.seconds", "1",
          "hazelcast.merge.next.run.delay.seconds", "1");

  private final PoolNodes nodes = new PoolNodes(3);

  @BeforeEach
  void mergeOnATestsTimeScale() {
    // Hazelcast reads these when a member starts; the node's own config does not set them
    FAST_MERGE.forEach(System::setProperty);
  }

  @AfterEach
  void stop() {
    nodes.close();
    FAST_MERGE.keySet().forEach(System::clearProperty);
  }

  @Test
  void aNodeThatMergedAfterASplitBrainKeepsItsLeasesStockAndQuotaHolds() {
    PoolConfig pool = PoolNodes.fastPool().withQuotas(0, Map.of("acme", 3));
    Node c =
        nodes.start(
            2,
            pool,
            x -> x.port(nodes.portOf(2)).members(List.of(nodes.address(2), nodes.address(0))));
    awaitReady(c, 2);
    List<LifecycleState> cStates = new CopyOnWriteArrayList<>();
    hazelcast(c).getLifecycleService().addLifecycleListener(e -> cStates.add(e.getState()));
    String cId = c.id();
    UUID cMemberBefore = hazelcast(c).getCluster().getLocalMember().getUuid();
    // held across the merge: recorded and counted in c's own cluster, which merges into the other
    PooledSandbox cOwn = join(c.pool().lease("s-c-own", "acme", "shell"));
    assertThat(cOwn.borrowed()).isFalse();
    await(
        Duration.ofSeconds(10),
        "c's lease is recorded in c's cluster",
        () -> join(c.cluster().leases().current(cOwn.lease().sandboxId())).isPresent());

    List<String> other = List.of(nodes.address(0), nodes.address(1));
    Node a = nodes.start(0, pool, x -> x.port(nodes.portOf(0)).members(other));
    Node b = nodes.start(0, pool, x -> x.port(nodes.portOf(1)).members(other));
    await(
        Duration.ofSeconds(90),
        "c merges into the cluster of a and b",
        () ->
            List.of(a, b, c).stream().allMatch(n -> n.cluster().health().memberCount() == 3)
                && cStates.contains(LifecycleState.MERGED));
    assertThat(cStates).contains(LifecycleState.MERGING);
    assertThat(hazelcast(c).getCluster().getLocalMember().getUuid())
        .as("the merge gave c's member a new UUID")
        .isNotEqualTo(cMemberBefore);
    assertThat(c.id()).as("c's node id outlives its member UUID").isEqualTo(cId);

    // c's stock is found under c's id, and a borrow reaches c's current member
    awaitAdvertised(a, c, 1);
    List<String> toldA = new CopyOnWriteArrayList<>();
    a.pool().addLostListener((l, reason) -> toldA.add(l.lease().sessionId() + ":" + reason));
    PooledSandbox fromC = join(a.pool().lease("s-a", "acme", "shell"));
    assertThat(fromC.borrowed()).isTrue();
    assertThat(fromC.hostNode()).isEqualTo(cId);
    assertThat(output(fromC, "echo from-c")).isEqualTo("from-c\n");

    // c borrows from b: b must keep lending to c's node id, not end the loan as orphaned
    c.sandboxes().retarget("shell", 0);
    b.sandboxes().retarget("shell", 1);
    await(
        Duration.ofSeconds(30),
        "c has no stock left and b has one",
        () ->
            c.sandboxes().stats().ready().getOrDefault("shell", 0) == 0
                && b.sandboxes().stats().ready().getOrDefault("shell", 0) == 1);
    awaitAdvertised(c, b, 1);
    PooledSandbox fromB = join(c.pool().lease("s-c-borrowed", "acme", "shell"));
    assertThat(fromB.borrowed()).isTrue();
    assertThat(fromB.hostNode()).isEqualTo(b.id());
    assertThat(fromB.lease().ownerNode()).isEqualTo(cId);
    // past the loan sweep's grace for missing borrowers: only a borrower b finds among its members
    // keeps its loan that long
    sleep(HazelcastWarmPool.LOAN_GRACE.plusSeconds(1));
    assertThat(b.pool().drainStatus().lentSandboxes()).isEqualTo(1);
    assertThat(output(fromB, "echo from-b")).isEqualTo("from-b\n");

    // the hold c took before the merge still counts: 3 leases of acme are held
    assertThatThrownBy(() -> join(b.pool().lease("s-b", "acme", "shell")))
        .isInstanceOfSatisfying(
            ClusterException.class, e -> assertThat(e.code()).isEqualTo("quota.exceeded"));

    // c's own lease came through the merge: counted as live with the two borrowed ones
    for (Node node : List.of(a, b, c)) {
      assertThat(join(node.cluster().leases().activeLeases())).as("live records").isEqualTo(3L);
    }

    TestCluster.terminate(c.cluster());

    await(
        Duration.ofSeconds(10),
        "everything c held is reclaimed under its node id, without waiting for the lease TTL",
        () ->
            join(a.cluster().leases().current(cOwn.lease().sandboxId())).isEmpty()
                && b.pool().drainStatus().lentSandboxes() == 0
                && quotaEntry(a, "acme") == null);
    assertThat(toldA).containsExactly("s-a:" + LeaseLostListener.Reason.HOST_LEFT);
  }

  @Test
  void holdsTheSmallerSideTookDuringASplitCountAfterTheMerge() {
    PoolConfig pool = PoolNodes.fastPool().withQuotas(0, Map.of("acme", 2));
    // the smaller side: c alone, which finds a's cluster once a is up
    Node c =
        nodes.start(
            1,
            pool,
            x -> x.port(nodes.portOf(2)).members(List.of(nodes.address(2), nodes.address(0))));
    List<LifecycleState> cStates = new CopyOnWriteArrayList<>();
    hazelcast(c).getLifecycleService().addLifecycleListener(e -> cStates.add(e.getState()));
    // the larger side, b alone until a joins it (so b's lease surely comes before the merge);
    // neither lists c
    List<String> other = List.of(nodes.address(0), nodes.address(1));
    Node b = nodes.start(1, pool, x -> x.port(nodes.portOf(1)).members(other));
    awaitReady(b, 1);
    awaitReady(c, 1);

    // each side has an entry for acme and counts only its own lease in it
    PooledSandbox onB = join(b.pool().lease("s-b", "acme", "shell"));
    PooledSandbox onC = join(c.pool().lease("s-c", "acme", "shell"));
    assertThat(holds(b, "acme").count()).isEqualTo(1);
    assertThat(holds(c, "acme").count()).isEqualTo(1);
    // and the larger side still has a hold under c's node id whose lease c no longer holds
    long now = hazelcast(b).getCluster().getClusterTime();
    hazelcast(b)
        .<String, TenantHolds>getMap(HazelcastConfigs.QUOTA_MAP)
        .executeOnKey("beta", QuotaProcessor.reserve("ended-on-c", c.id(), 5, now));

    Node a = nodes.start(0, pool, x -> x.port(nodes.portOf(0)).members(other));
    await(
        Duration.ofSeconds(90),
        "c merges into the cluster of a and b",
        () ->
            List.of(a, b, c).stream().allMatch(n -> n.cluster().health().memberCount() == 3)
                && cStates.contains(LifecycleState.MERGED));

    // the merge kept the larger side's acme entry, without c's hold: c puts back what it holds
    await(
        Duration.ofSeconds(10),
        "c's hold counts again and its hold without a lease is gone",
        () -> {
          TenantHolds acme = holds(a, "acme");
          return acme != null
              && acme.count() == 2
              && acme.holds().values().stream()
                  .map(TenantHolds.Hold::node)
                  .toList()
                  .containsAll(List.of(b.id(), c.id()))
              && holds(a, "beta") == null;
        });
    assertThatThrownBy(() -> join(a.pool().lease("s-a", "acme", "shell")))
        .as("acme holds its 2 leases, one on each former side")
        .isInstanceOfSatisfying(
            ClusterException.class, e -> assertThat(e.code()).isEqualTo("quota.exceeded"));

    // the hold c put back is given back with its lease
    join(c.pool().release(onC));
    await(
        Duration.ofSeconds(10),
        "c's hold is given back",
        () -> holds(a, "acme") != null && holds(a, "acme").count() == 1);
    PooledSandbox onA = join(a.pool().lease("s-a", "acme", "shell"));
    assertThat(onA.tenant()).isEqualTo("acme");
    join(a.pool().release(onA));
    join(b.pool().release(onB));
  }

  private static TenantHolds holds(Node node, String tenant) {
    return hazelcast(node).<String, TenantHolds>getMap(HazelcastConfigs.QUOTA_MAP).get(tenant);
  }

  private static Object quotaEntry(Node node, String tenant) {
    return hazelcast(node).getMap(HazelcastConfigs.QUOTA_MAP).get(tenant);
  }

  private static HazelcastInstance hazelcast(Node node) {
    return ((HazelcastClusterNode) node.cluster()).hazelcast();
  }

  private static void awaitReady(Node node, int ready) {
    await(
        Duration.ofSeconds(30),
        "the local pool has " + ready + " warm sandboxes",
        () -> node.sandboxes().stats().ready().getOrDefault("shell", 0) >= ready);
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
