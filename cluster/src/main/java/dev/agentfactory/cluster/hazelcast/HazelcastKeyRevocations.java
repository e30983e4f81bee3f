package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.topic.ITopic;
import com.hazelcast.topic.Message;
import dev.agentfactory.cluster.KeyRevocations;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * {@link KeyRevocations} on a Hazelcast topic of bare key ids ({@link
 * HazelcastConfigs#KEY_REVOCATION_TOPIC}). A plain topic, not a reliable one: a lost notice costs
 * only time, until the receiving node reads the key store again.
 */
final class HazelcastKeyRevocations implements KeyRevocations {

  private final ITopic<String> topic;
  private volatile Consumer<String> listener = keyId -> {};

  HazelcastKeyRevocations(ITopic<String> topic) {
    this.topic = topic;
    topic.addMessageListener(this::received);
  }

  @Override
  public CompletionStage<Void> publish(String keyId) {
    try {
      return topic.publishAsync(keyId);
    } catch (RuntimeException e) { // Hazelcast throws for what it refuses outright (a null id)
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public void onRevokedElsewhere(Consumer<String> listener) {
    this.listener = listener;
  }

  private void received(Message<String> message) {
    // this node applied its own revocation before publishing it
    Member from = message.getPublishingMember();
    if (from == null || !from.localMember()) {
      listener.accept(message.getMessageObject());
    }
  }
}
