package dev.agentfactory.connectors.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics a node needs on an external Kafka cluster when they are missing, so a node
 * pointed at a new cluster works without a manual step: the pipeline job's Kafka source fails (and
 * Flink restarts it without end) on a topic that does not exist, and brokers do not create topics
 * for metadata requests of admin clients.
 */
public final class TopicSetup {

  private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

  private TopicSetup() {}

  /**
   * Creates those of {@code topics} that do not exist, as described there (partitions, replication,
   * configs; empty ones take the broker's defaults: {@code num.partitions}, {@code
   * default.replication.factor}); topics that exist are left as they are. A creation the cluster
   * does not allow (no ACL for it, a creation policy) is logged, not thrown: an operator who
   * manages topics creates them.
   *
   * @return the topics this call created
   * @throws IllegalStateException when the cluster does not answer within {@code timeout} or
   *     refuses a creation for another reason, naming the topic
   */
  public static List<String> ensureExist(
      String bootstrapServers, Duration timeout, Collection<NewTopic> topics) {
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                (int) Math.min(Integer.MAX_VALUE, timeout.toMillis())))) {
      Set<String> existing =
          admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (NewTopic topic : topics) {
        if (!existing.contains(topic.name())) {
          missing.add(topic);
        }
      }
      List<String> created = new ArrayList<>();
      if (missing.isEmpty()) {
        return created;
      }
      var futures = admin.createTopics(missing).values();
      for (var entry : futures.entrySet()) {
        try {
          entry.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          created.add(entry.getKey());
          LOG.info("created the topic {} on {}", entry.getKey(), bootstrapServers);
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof TopicExistsException) {
            continue; // another node created it meanwhile
          }
          if (cause instanceof TopicAuthorizationException
              || cause instanceof ClusterAuthorizationException
              || cause instanceof PolicyViolationException) {
            LOG.warn(
                "the topic {} does not exist on {} and this node may not create it ({}): create"
                    + " it, or the pipeline job cannot read and the node cannot publish",
                entry.getKey(),
                bootstrapServers,
                cause.getMessage());
            continue;
          }
          throw new IllegalStateException(
              "cannot create the topic " + entry.getKey() + " on " + bootstrapServers, cause);
        }
      }
      return created;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Kafka at "
              + bootstrapServers
              + " did not list its topics within "
              + timeout.toSeconds()
              + " s",
          e instanceof ExecutionException ? e.getCause() : e);
    }
  }
}
