package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.replicatedmap.ReplicatedMap;
import dev.agentfactory.cluster.pool.NodeStock;
import dev.agentfactory.cluster.pool.PoolConfig;
import dev.agentfactory.cluster.pool.TargetSplit;
import dev.agentfactory.sandbox.SandboxPool;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stock side of the pool: this node's entry on the replicated stock board, its share of the
 * cluster-wide warm targets, the richest peer to borrow from, and when each node was last seen a
 * member (the loan sweep's grace, {@link HazelcastWarmPool#LOAN_GRACE}). Entries are keyed by node
 * id ({@link NodeIds}). Called from the pool's worker, except {@link #richestPeer} and the views.
 */
final class StockBoard {

  // the pool's logger: these messages were always the pool's
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastWarmPool.class);

  private final ReplicatedMap<String, NodeStock> board;
  private final HazelcastInstance hazelcast;
  private final SandboxPool local;
  private final PoolConfig config;
  private final String nodeId;
  // when each node was last seen a member (System.nanoTime), for the loan sweep's grace
  private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
  private final Map<String, Integer> targets = new ConcurrentHashMap<>();

  StockBoard(
      ReplicatedMap<String, NodeStock> board,
      HazelcastInstance hazelcast,
      SandboxPool local,
      PoolConfig config,
      String nodeId) {
    this.board = board;
    this.hazelcast = hazelcast;
    this.local = local;
    this.config = config;
    this.nodeId = nodeId;
  }

  /** Marks {@code members} seen now and forgets the nodes not seen for the loan grace. */
  void seen(Set<String> members) {
    long now = System.nanoTime();
    members.forEach(id -> lastSeen.put(id, now));
    lastSeen.values().removeIf(seen -> now - seen > HazelcastWarmPool.LOAN_GRACE.toNanos());
  }

  /** Whether {@code node} was a member within the loan grace. */
  boolean recentlySeen(String node) {
    return lastSeen.containsKey(node);
  }

  /** Re-splits the targets among {@code members} and advertises this node's stock. */
  void publish(Set<String> members, boolean draining) {
    applyTargets(members, draining);
    var stats = local.stats();
    board.put(
        nodeId,
        new NodeStock(
            nodeId, config.capacity(), draining, stats.ready(), stats.leased(), stats.target()),
        config.advertiseInterval().toMillis() * 10,
        TimeUnit.MILLISECONDS);
  }

  private void applyTargets(Set<String> members, boolean draining) {
    if (config.targets().isEmpty()) {
      return;
    }
    TreeMap<String, Integer> capacities = new TreeMap<>();
    board.values().stream()
        .filter(s -> members.contains(s.nodeId()) && !s.draining())
        .forEach(s -> capacities.put(s.nodeId(), s.capacity()));
    if (draining) {
      capacities.remove(nodeId);
    } else {
      capacities.put(nodeId, config.capacity());
    }
    config
        .targets()
        .forEach(
            (template, total) -> {
              int share = TargetSplit.split(total, capacities).getOrDefault(nodeId, 0);
              Integer previous = targets.put(template, share);
              if (previous == null || previous != share) {
                LOG.info(
                    "warm target of '{}' on node {}: {} of {} across {} nodes",
                    template,
                    nodeId,
                    share,
                    total,
                    capacities.size());
                try {
                  local.retarget(template, share);
                } catch (RuntimeException e) {
                  LOG.warn("cannot retarget '{}' to {}", template, share, e);
                }
              }
            });
  }

  /**
   * Sets every warm target of this node to 0: it drains. A template that cannot be retargeted (a
   * cluster-wide target names a template this node does not have) is logged and skipped, as in
   * {@link #applyTargets}: it must not stop the drain, nor the zeroing of the other templates.
   */
  void zeroTargets() {
    Set<String> templates =
        config.targets().isEmpty() ? local.stats().target().keySet() : config.targets().keySet();
    for (String template : templates) {
      try {
        local.retarget(template, 0);
      } catch (RuntimeException e) {
        LOG.warn("cannot retarget '{}' to {}", template, 0, e);
      }
    }
  }

  /** The member with the most ready sandboxes of {@code template} that is not draining, if any. */
  Optional<Member> richestPeer(String template) {
    Set<Member> members = hazelcast.getCluster().getMembers();
    Map<String, Member> byId =
        members.stream()
            .filter(m -> !m.localMember())
            .collect(Collectors.toMap(NodeIds::of, m -> m, (x, y) -> x));
    return board.values().stream()
        .filter(s -> byId.containsKey(s.nodeId()) && !s.draining() && s.readyOf(template) > 0)
        .max(Comparator.comparingInt(s -> s.readyOf(template)))
        .map(s -> byId.get(s.nodeId()));
  }

  /** Drops the stock entry of a node that left. */
  void nodeLeft(String departed) {
    board.remove(departed);
  }

  /** Drops this node's own stock entry: it is leaving. */
  void withdraw() {
    try {
      board.remove(nodeId);
    } catch (RuntimeException e) {
      LOG.debug("stock entry of {} not removed", nodeId, e);
    }
  }

  /** Every node's advertised stock, by node id. */
  Map<String, NodeStock> view() {
    Map<String, NodeStock> view = new HashMap<>();
    board.values().forEach(s -> view.put(s.nodeId(), s));
    return view;
  }

  /** This node's share of the cluster-wide targets, or its local pool's own targets. */
  Map<String, Integer> localTargets() {
    return Map.copyOf(targets.isEmpty() ? local.stats().target() : targets);
  }
}
