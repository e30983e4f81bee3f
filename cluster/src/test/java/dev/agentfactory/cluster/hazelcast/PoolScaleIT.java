package dev.agentfactory.cluster.hazelcast;

import static dev.agentfactory.cluster.hazelcast.DistributedPoolIT.join;
import static dev.agentfactory.cluster.hazelcast.TestCluster.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.hazelcast.PoolNodes.Node;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.pool.PoolConfig;
import dev.agentfactory.cluster.pool.PooledSandbox;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PoolScaleIT {

  private final PoolNodes nodes = new PoolNodes(3);

  @AfterEach
  void stop() {
    nodes.close();
  }

  @Test
  void clusterTargetsAreResplitWhenNodesJoinAndLeave() {
    PoolConfig pool = PoolNodes.fastPool().withTargets(Map.of("shell", 6));
    Node a = nodes.start(0, pool, b -> b);
    awaitTargets(List.of(a), 6);

    Node b = nodes.start(0, pool.withCapacity(2), x -> x);
    awaitTargets(List.of(a, b), 2, 4);

    Node c = nodes.start(0, pool, x -> x);
    // capacities 1, 2, 1: b takes 3; a and c tie on the remainder and the node id that sorts
    // first (ids are random UUIDs) takes 2, the other 1
    boolean aFirst = a.id().compareTo(c.id()) < 0;
    awaitTargets(List.of(a, b, c), aFirst ? 2 : 1, 3, aFirst ? 1 : 2);
    int cShare = aFirst ? 1 : 2;
    await(
        Duration.ofSeconds(30),
        "the new node's warm stock follows its share",
        () -> c.sandboxes().stats().ready().getOrDefault("shell", 0) == cShare);

    TestCluster.terminate(b.cluster());
    awaitTargets(List.of(a, c), 3, 3);
    await(
        Duration.ofSeconds(30),
        "the survivors warm up their larger share",
        () -> a.sandboxes().stats().ready().getOrDefault("shell", 0) == 3);
  }

  @Test
  void concurrentLeasesAcrossNodesNeverShareASandbox() throws Exception {
    List<Node> all = List.of(nodes.start(3), nodes.start(1), nodes.start(0));
    await(
        Duration.ofSeconds(30),
        "warm stock is ready and advertised",
        () ->
            all.get(0).sandboxes().stats().ready().get("shell") == 3
                && all.get(2).pool().stock().size() == 3);
    Map<String, Lease> byKey = new ConcurrentHashMap<>();
    Set<String> doubles = ConcurrentHashMap.newKeySet();
    AtomicInteger served = new AtomicInteger();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService clients = Executors.newFixedThreadPool(6);
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int client = 0; client < 6; client++) {
      Node node = all.get(client % all.size());
      int id = client;
      done.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < 8; i++) {
                  PooledSandbox leased;
                  try {
                    leased = join(node.pool().lease("c" + id + "-" + i, "acme", "shell"));
                  } catch (ClusterException e) {
                    failures.add(e);
                    continue;
                  }
                  Lease previous = byKey.putIfAbsent(leased.lease().sandboxId(), leased.lease());
                  if (previous != null) {
                    doubles.add(leased.lease().sandboxId());
                  }
                  served.incrementAndGet();
                  assertThat(DistributedPoolIT.output(leased, "echo " + id)).isEqualTo(id + "\n");
                  if (ThreadLocalRandom.current().nextBoolean()) {
                    join(node.pool().release(leased));
                  }
                }
              },
              clients));
    }
    CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get();
    clients.shutdown();

    assertThat(failures).isEmpty();
    assertThat(served.get()).isEqualTo(48);
    assertThat(doubles).as("sandboxes leased twice").isEmpty();
    // every lease still open is the current record of its sandbox, with the token it was granted
    int open = all.stream().mapToInt(n -> n.pool().drainStatus().activeLeases()).sum();
    await(
        Duration.ofSeconds(10),
        "every open lease is recorded",
        () -> join(all.get(0).cluster().leases().activeLeases()) == open);
    long borrowed = all.stream().mapToLong(n -> n.pool().counters().borrowedLeases()).sum();
    long lent = all.stream().mapToLong(n -> n.pool().counters().lentSandboxes()).sum();
    assertThat(borrowed).isEqualTo(lent);
    System.out.printf("48 leases, %d open, %d borrowed%n", open, borrowed);
  }

  private static void awaitTargets(List<Node> nodes, int... shares) {
    await(
        Duration.ofSeconds(20),
        "targets split as " + java.util.Arrays.toString(shares),
        () -> {
          for (int i = 0; i < shares.length; i++) {
            if (nodes.get(i).pool().localTargets().getOrDefault("shell", -1) != shares[i]) {
              return false;
            }
          }
          return true;
        });
  }
}
