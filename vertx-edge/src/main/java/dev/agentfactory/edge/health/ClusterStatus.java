package dev.agentfactory.edge.health;

import dev.agentfactory.cluster.ClusterHealth;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code hazelcast} component of {@code /health}, from this member's view of the cluster and
 * the {@code cluster.members} it was told to join.
 *
 * <p>A node whose {@code cluster.name} or secret differs from its peers' is refused at join and
 * does not stop: Hazelcast starts it as a cluster of its own, with one warning in the log, and it
 * serves alone (a split nobody asked for: two pools, two quota ledgers). So a node that lists other
 * members yet sees none is {@code DEGRADED}, with a reason naming what to check; it still serves,
 * as the first node of a cluster must while the others start.
 */
public final class ClusterStatus {

  private ClusterStatus() {}

  /** The default Hazelcast member port, which a {@code cluster.members} entry may leave out. */
  private static final int DEFAULT_PORT = 5701;

  /**
   * @param members the {@code cluster.members} entries as configured (empty: a single-node cluster
   *     or Kubernetes discovery, where nothing says how many members to expect)
   */
  public static ComponentStatus of(ClusterHealth cluster, List<String> members) {
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("state", cluster.state().name());
    detail.put("members", cluster.memberCount());
    detail.put("address", cluster.localAddress());
    detail.put("node_id", cluster.nodeId());
    detail.put("held_leases", cluster.heldLeases());
    if (!cluster.isHealthy()) {
      return new ComponentStatus(ComponentStatus.State.DOWN, detail);
    }
    List<String> others = members.stream().filter(m -> !isSelf(m, cluster.localAddress())).toList();
    if (cluster.memberCount() == 1 && !others.isEmpty()) {
      detail.put(
          "reason",
          "alone, although cluster.members lists "
              + String.join(", ", others)
              + ": they are down or unreachable, or their cluster.name or secret differs from this"
              + " node's (then this node runs as a cluster of its own; its log says 'could not"
              + " join cluster')");
      return new ComponentStatus(ComponentStatus.State.DEGRADED, detail);
    }
    return ComponentStatus.up(detail);
  }

  /**
   * Whether a member entry names this node: its own {@code host:port}, or its host on 5701. The
   * member's address reads {@code [127.0.0.1]:5701} (Hazelcast brackets every host), an entry
   * {@code 127.0.0.1:5701} or {@code [fd00::2]:5701}: brackets are left out of the comparison.
   */
  private static boolean isSelf(String entry, String localAddress) {
    String self = unbracketed(localAddress);
    String named = unbracketed(entry);
    return named.equals(self) || (named + ":" + DEFAULT_PORT).equals(self);
  }

  private static String unbracketed(String address) {
    return address.replace("[", "").replace("]", "");
  }
}
