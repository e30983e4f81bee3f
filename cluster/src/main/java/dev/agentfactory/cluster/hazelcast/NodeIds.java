package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.cluster.Cluster;
import com.hazelcast.cluster.Member;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

/**
 * Node ids, and which member is a node now.
 *
 * <p>A node's id is made once per process and published as a member attribute ({@value
 * #ATTRIBUTE}); it is the {@code ownerNode} of its leases, the key of its stock on the board and of
 * its quota holds. It is not the member UUID because Hazelcast gives a member a new UUID when it
 * merges into another cluster after a split brain, while everything the node holds in the cluster
 * would still name the old one: peers would route borrows and returns to a member that no longer
 * exists, and end its loans as orphaned. Hazelcast copies the attributes to the merged member
 * (ClusterServiceImpl#resetLocalMemberUuid), so the id survives the merge and only the routing (id
 * → current {@link Member}) is looked up at call time.
 *
 * <p>A member without the attribute (a node of an earlier version) is known by its UUID, as that
 * version named itself.
 */
final class NodeIds {

  /** The member attribute carrying the node id. */
  static final String ATTRIBUTE = "af.node-id";

  private NodeIds() {}

  /** A fresh id for a node starting now. */
  static String newId() {
    return UUID.randomUUID().toString();
  }

  /** The node id of {@code member}. */
  static String of(Member member) {
    String id = member.getAttribute(ATTRIBUTE);
    return id != null ? id : member.getUuid().toString();
  }

  /** The member that is node {@code nodeId} now, or null if it is not in the cluster. */
  static Member member(Cluster cluster, String nodeId) {
    for (Member member : cluster.getMembers()) {
      if (of(member).equals(nodeId)) {
        return member;
      }
    }
    return null;
  }

  /** The ids of the nodes in the cluster now. */
  static Set<String> present(Cluster cluster) {
    Set<String> ids = new HashSet<>();
    for (Member member : cluster.getMembers()) {
      ids.add(of(member));
    }
    return ids;
  }
}
