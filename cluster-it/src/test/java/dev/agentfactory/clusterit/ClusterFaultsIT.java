package dev.agentfactory.clusterit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster on real node processes (one container each) under concurrent session load, through
 * the faults an operator meets: a partition and its healing, a node added, a node drained, a node
 * killed with SIGKILL. The scenarios share one cluster, in this order, because starting node JVMs
 * is what costs time on two cores; each scenario ends with the same checks: no double lease, every
 * session served or told why, and no lease record or sandbox left behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(DockerGuard.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFaultsIT {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterFaultsIT.class);
  private static final Duration STEP = Duration.ofSeconds(20);
  private static final Duration MEMBERSHIP = Duration.ofSeconds(60);

  private ClusterFixture cluster;
  private final LeaseLedger ledger = new LeaseLedger();
  private final List<SessionOutcome> outcomes = new ArrayList<>();
  private final List<SessionClient> sticky = new ArrayList<>();

  @BeforeAll
  void startThreeNodes() {
    if (!DockerGuard.dockerAvailable()) {
      return; // every test is reported skipped, with the reason (DockerGuard)
    }
    long t0 = System.nanoTime();
    cluster = new ClusterFixture();
    List<NodeContainer> nodes = cluster.start(3);
    cluster.awaitMembers(nodes, 3, MEMBERSHIP);
    LOG.info("3 nodes up and joined in {} ms", (System.nanoTime() - t0) / 1_000_000);
  }

  @BeforeEach
  void newScenario() {
    if (cluster == null) {
      return;
    }
    cluster.clearDisturbed();
    outcomes.clear();
  }

  @Test
  @Order(1)
  void aPartitionedNodeIsToldItCannotLeaseAndRejoinsWithoutADoubleLease() {
    List<NodeContainer> nodes = cluster.running();
    NodeContainer cut = nodes.get(2);
    List<NodeContainer> majority = nodes.subList(0, 2);
    openSticky(nodes, 1);
    try (SessionLoad load = load(2)) {
      awaitServed(load, nodes, 2);
      cluster.partition(cut);
      cluster.awaitMembers(majority, 2, MEMBERSHIP);
      cluster.awaitMembers(List.of(cut), 1, MEMBERSHIP);
      // both sides keep answering: the majority serves, the cut-off node says why it cannot
      long cutAnswers = answered(load, cut);
      awaitServed(load, majority, served(load, majority) + 2);
      await("the partitioned node answers sessions (served or told why)")
          .atMost(STEP)
          .until(() -> answered(load, cut) >= cutAnswers + 2);
      cluster.heal(cut);
      cluster.awaitMembers(nodes, 3, Duration.ofSeconds(90));
      awaitServed(load, nodes, servedMin(load, nodes) + 2);
      outcomes.addAll(load.outcomesAfterClose());
    }
    assertStickyOn(majority);
  }

  @Test
  @Order(2)
  void anAddedNodeJoinsAndServesSessions() {
    List<NodeContainer> before = cluster.running();
    openSticky(before, 1);
    try (SessionLoad load = load(2)) {
      awaitServed(load, before, 1);
      NodeContainer added = cluster.addNode();
      List<NodeContainer> after = cluster.running();
      cluster.awaitMembers(after, after.size(), MEMBERSHIP);
      assertThat(after).contains(added);
      awaitServed(load, List.of(added), 3);
      outcomes.addAll(load.outcomesAfterClose());
    }
    assertStickyOn(before);
  }

  @Test
  @Order(3)
  void aDrainedNodeFinishesItsSessionsAndLeaves() {
    NodeContainer drained = cluster.running().get(cluster.running().size() - 1);
    assertThat(cluster.api(drained).hasOperation("/v1/admin/drain", "post"))
        .as("the node's API has POST /v1/admin/drain")
        .isTrue();
    List<NodeContainer> stay = cluster.running().stream().filter(n -> n != drained).toList();
    cluster.expectDisconnects(drained);
    try (SessionLoad load = load(2)) {
      awaitServed(load, cluster.running(), 1);
      var response = postDrain(drained);
      assertThat(response.statusCode()).as("drain answer %s", response.body()).isLessThan(300);
      // Drained: no lease left on it; then it leaves the way an operator removes it (SIGTERM).
      cluster.stop(drained);
      cluster.awaitMembers(stay, stay.size(), Duration.ofSeconds(90));
      awaitServed(load, stay, servedMin(load, stay) + 2);
      outcomes.addAll(load.outcomesAfterClose());
    }
  }

  @Test
  @Order(4)
  void aKilledNodesLeasesAreMarkedLostAndTheOthersServeOn() {
    List<NodeContainer> nodes = cluster.running();
    NodeContainer victim = nodes.get(1);
    List<NodeContainer> survivors = nodes.stream().filter(n -> n != victim).toList();
    openSticky(survivors, 1);
    List<SessionClient> onVictim = openSticky(List.of(victim), 2);
    try (SessionLoad load = load(2)) {
      awaitServed(load, nodes, servedMin(load, nodes) + 1);
      await("the victim holds its sessions' leases").atMost(STEP).until(() -> held(victim) >= 2);
      long killedAt = System.nanoTime();
      cluster.kill(victim);
      for (SessionClient s : onVictim) {
        assertThat(s.awaitGone(STEP))
            .as("a client of the killed node sees its connection end")
            .isTrue();
      }
      // lost: nothing cluster-wide is held by anybody but the survivors
      await("the killed node's leases are marked lost")
          .atMost(ClusterFixture.LEASE_TTL.plus(STEP))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> leasesOutsideOf(survivors) == 0);
      LOG.info(
          "leases of the killed node lost after {} ms", (System.nanoTime() - killedAt) / 1_000_000);
      cluster.awaitMembers(survivors, survivors.size(), MEMBERSHIP);
      awaitServed(load, survivors, servedMin(load, survivors) + 2);
      outcomes.addAll(load.outcomesAfterClose());
    }
    assertStickyOn(survivors);
  }

  /** After every scenario: the invariants that must hold whatever happened. */
  @AfterEach
  void noDoubleLeaseEverySessionAccountedForNothingLeaked() {
    if (cluster == null) {
      return;
    }
    sticky.forEach(s -> outcomes.add(s.isGone() ? null : s.closeNormally()));
    sticky.forEach(SessionClient::close);
    sticky.clear();
    outcomes.removeIf(o -> o == null);
    assertThat(ledger.doubleLeases()).as("double leases").isEmpty();
    assertThat(outcomes)
        .as("every session served or told why (cut off only by a disturbed node)")
        .allMatch(acceptable());
    LOG.info(
        "scenario outcomes: {} served, {} told, {} cut off; {} leases granted so far",
        count(SessionOutcome.Kind.SERVED),
        count(SessionOutcome.Kind.TOLD),
        count(SessionOutcome.Kind.CUT_OFF),
        ledger.grants());
    outcomes.stream()
        .filter(o -> o.kind() != SessionOutcome.Kind.SERVED)
        .map(o -> o.node() + " " + o.kind() + ": " + o.detail())
        .distinct()
        .limit(10)
        .forEach(o -> LOG.info("  not served: {}", o));
    List<NodeContainer> live = cluster.running();
    await("no lease record and no leased sandbox left on " + live.size() + " nodes")
        .atMost(ClusterFixture.LEASE_TTL.plus(STEP))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                live.stream()
                    .allMatch(
                        n -> {
                          NodeApi api = cluster.api(n);
                          JsonNode leases = api.leases().orElse(null);
                          return leases != null
                              && leases.path("held_by_this_node").asInt(-1) == 0
                              && leases.path("active_cluster_wide").asLong(-1) == 0
                              && api.sandboxesLeased() == 0;
                        }));
  }

  @AfterAll
  void removeEveryContainer() {
    if (cluster == null) {
      return;
    }
    cluster.close();
    assertThat(cluster.leftoverContainers()).as("containers left behind").isEmpty();
  }

  private SessionLoad load(int concurrency) {
    return new SessionLoad(concurrency, cluster::running, cluster.adminKey, ledger);
  }

  private List<SessionClient> openSticky(List<NodeContainer> nodes, int each) {
    List<SessionClient> opened = new ArrayList<>();
    for (NodeContainer node : nodes) {
      for (int i = 0; i < each; i++) {
        try {
          SessionClient s = SessionClient.open(node, cluster.adminKey, STEP);
          assertThat(s.exec(STEP)).as("first command on %s", node.name()).isNull();
          assertThat(s.ready().leased()).as("the first command leased a sandbox").isTrue();
          ledger.granted(s.ready());
          opened.add(s);
        } catch (SessionClient.Ended e) {
          throw new AssertionError("a session on " + node.name() + " did not open: " + e, e);
        }
      }
    }
    sticky.addAll(opened);
    return opened;
  }

  /** Long-lived sessions on nodes that were not disturbed still run commands. */
  private void assertStickyOn(List<NodeContainer> nodes) {
    for (SessionClient s : sticky) {
      if (nodes.stream().anyMatch(n -> n.name().equals(s.ready().node()))) {
        assertThat(s.exec(STEP)).as("a long session on %s still works", s.ready().node()).isNull();
      }
    }
  }

  private Predicate<SessionOutcome> acceptable() {
    return o ->
        o.kind() == SessionOutcome.Kind.SERVED
            || o.kind() == SessionOutcome.Kind.TOLD
            || (o.kind() == SessionOutcome.Kind.CUT_OFF && cluster.isDisturbed(o.node()));
  }

  private long count(SessionOutcome.Kind kind) {
    return outcomes.stream().filter(o -> o.kind() == kind).count();
  }

  private void awaitServed(SessionLoad load, List<NodeContainer> nodes, long atLeast) {
    await("each of " + nodes.stream().map(NodeContainer::name).toList() + " serves " + atLeast)
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> nodes.stream().allMatch(n -> load.served(n.name()) >= atLeast));
  }

  private static long served(SessionLoad load, List<NodeContainer> nodes) {
    return servedMin(load, nodes);
  }

  private static long servedMin(SessionLoad load, List<NodeContainer> nodes) {
    return nodes.stream().mapToLong(n -> load.served(n.name())).min().orElse(0);
  }

  private static long answered(SessionLoad load, NodeContainer node) {
    return load.outcomes().stream()
        .filter(o -> o.node().equals(node.name()))
        .filter(o -> o.kind() == SessionOutcome.Kind.SERVED || o.kind() == SessionOutcome.Kind.TOLD)
        .count();
  }

  private int held(NodeContainer node) {
    return cluster.api(node).leases().map(j -> j.path("held_by_this_node").asInt()).orElse(-1);
  }

  /** Live lease records cluster-wide minus those the given nodes hold. */
  private long leasesOutsideOf(List<NodeContainer> nodes) {
    JsonNode first = cluster.api(nodes.get(0)).leases().orElse(null);
    if (first == null) {
      return -1;
    }
    long held = 0;
    for (NodeContainer n : nodes) {
      int h = held(n);
      if (h < 0) {
        return -1;
      }
      held += h;
    }
    long active = first.path("active_cluster_wide").asLong();
    return active - held;
  }

  private java.net.http.HttpResponse<String> postDrain(NodeContainer node) {
    try {
      return cluster.api(node).post("/v1/admin/drain", "{}");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
