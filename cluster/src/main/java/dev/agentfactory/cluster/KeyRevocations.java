package dev.agentfactory.cluster;

import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Tells the other nodes of the cluster, at once, that an API key was revoked, so they need not wait
 * for their next read of the shared key store. Best effort: a notice can be lost (a member leaving,
 * a split brain) and a node of an older version does not listen, so the key store stays the source
 * of truth and each node still reads it on its own schedule.
 *
 * <pre>{@code
 * KeyRevocations revocations = clusterNode.keyRevocations();
 * revocations.onRevokedElsewhere(keyId -> vertxContext.runOnContext(v -> reloadKeys()));
 * revocations.publish("key_123"); // after the store committed the revocation
 * }</pre>
 */
public interface KeyRevocations {

  /**
   * Tells the other nodes that the key with this id was revoked; does not wait for them. Never
   * throws: a notice that cannot be sent fails the stage. A member already shut down drops the
   * notice and completes the stage normally (Hazelcast's plain topics do), so a stage that
   * completes is no proof of delivery.
   */
  CompletionStage<Void> publish(String keyId);

  /**
   * Calls {@code listener} with the id of each key another node revoked (never this node's own
   * notices). It runs on a cluster event thread, which every other cluster event waits behind: hand
   * the work to another thread at once. One listener; a later call replaces it.
   */
  void onRevokedElsewhere(Consumer<String> listener);
}
