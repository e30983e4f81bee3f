package dev.agentfactory.edge.health;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The health of every component of a node, as last observed. Components report here as they start,
 * fail or are probed; {@code GET /health} reads it without touching any component, so the handler
 * never blocks.
 */
public final class NodeHealth {

  public static final String EDGE = "edge";
  public static final String HAZELCAST = "hazelcast";
  public static final String SANDBOX_POOL = "sandbox_pool";
  public static final String KAFKA = "kafka";
  public static final String FLINK_JOB = "flink_job";

  /** The API key store, the agent registry's store and the session turn store. */
  public static final String STORES = "stores";

  /** The components a node must have up before it is healthy, in report order. */
  public static final List<String> COMPONENTS =
      List.of(EDGE, HAZELCAST, SANDBOX_POOL, KAFKA, FLINK_JOB, STORES);

  /** The components {@link #readyForSessions()} leaves out: sessions run without them. */
  private static final List<String> DATA_PLANE = List.of(KAFKA, FLINK_JOB);

  private final Map<String, ComponentStatus> status = new ConcurrentHashMap<>();

  public NodeHealth() {
    COMPONENTS.forEach(c -> status.put(c, ComponentStatus.starting()));
  }

  public void report(String component, ComponentStatus componentStatus) {
    if (!COMPONENTS.contains(component)) {
      throw new IllegalArgumentException("unknown component " + component);
    }
    status.put(component, componentStatus);
  }

  /** A consistent copy, in {@link #COMPONENTS} order. */
  public Map<String, ComponentStatus> snapshot() {
    Map<String, ComponentStatus> copy = new LinkedHashMap<>();
    COMPONENTS.forEach(c -> copy.put(c, status.get(c)));
    return copy;
  }

  /** True when every component is up or turned off by configuration. */
  public boolean allUp() {
    return status.values().stream().allMatch(ComponentStatus::isHealthy);
  }

  /**
   * True when every component but the data plane (Kafka and the pipeline job) is healthy: what
   * {@code /ready} asks. A node whose Kafka is away still serves sessions (their events wait in the
   * publisher's bounded buffer, then the sessions push back with {@code recording_backlog}); taking
   * every node out of its load balancer because the cluster's one Kafka is away would turn a Kafka
   * outage into an edge outage. Likewise a pipeline job that was stopped ({@code DELETE
   * /v1/jobs/{id}}) or failed only delays recording: events wait in Kafka until it runs again.
   * Start-up still waits for both, and {@code /health} still reports them.
   */
  public boolean readyForSessions() {
    return status.entrySet().stream()
        .filter(e -> !DATA_PLANE.contains(e.getKey()))
        .allMatch(e -> e.getValue().isHealthy());
  }
}
