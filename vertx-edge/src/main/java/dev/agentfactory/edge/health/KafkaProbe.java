package dev.agentfactory.edge.health;

import dev.agentfactory.connectors.kafka.InteractionPublisher;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link NodeHealth#KAFKA} component, checked for real: one shared Kafka admin client asks the
 * cluster to describe itself ({@code describeCluster}, bounded by {@link #TIMEOUT}) at most every
 * {@link #REFRESH}, and the interaction publisher's buffer is folded in on every {@link #probe}.
 *
 * <pre>{@code
 * KafkaProbe kafka = KafkaProbe.create("kafka:9092", "external", () -> publisher);
 * vertx.setPeriodic(1000, id -> kafka.probe(health)); // never blocks: the admin client's thread asks
 * }</pre>
 *
 * <p>States: {@code UP} when Kafka answered; {@code DEGRADED} when it answers but the publisher is
 * {@link InteractionPublisher#backlogged() backlogged} (sessions refuse new work, the node still
 * serves); {@code DOWN} when the last question went unanswered, with the client's reason; {@code
 * STARTING} while Kafka has never answered yet (start-up waits for it).
 *
 * <p>An outage is logged once when it starts (a warning), at most every {@link #REMINDER} while it
 * lasts, and once when Kafka answers again, not per question. The admin client's own warning per
 * connection attempt ({@code NetworkClient}: "could not be established", about every second while
 * Kafka is away) is dropped for this client ({@value #CLIENT_ID}) by the node's {@code log4j2.xml}.
 */
public final class KafkaProbe implements AutoCloseable {

  /** How long one question to Kafka may take before Kafka counts as not answering. */
  static final Duration TIMEOUT = Duration.ofSeconds(3);

  /** How long an answer is reused: {@code /health} may be polled often, Kafka is asked seldom. */
  static final Duration REFRESH = Duration.ofSeconds(5);

  /** While Kafka stays away, its outage is logged again at most this often. */
  static final Duration REMINDER = Duration.ofMinutes(1);

  /** The admin client's {@code client.id}: the node's log4j2.xml filters its reconnect warnings. */
  static final String CLIENT_ID = "agent-factory-health";

  private static final Logger LOG = LoggerFactory.getLogger(KafkaProbe.class);

  private final Admin admin;
  private final String bootstrapServers;
  private final String mode;
  private final Supplier<InteractionPublisher> publisher;
  private final AtomicBoolean asking = new AtomicBoolean();
  private final AtomicLong questions = new AtomicLong();
  private volatile boolean closed;
  private volatile long askedAt = System.nanoTime() - REFRESH.toNanos();
  private volatile Answer last;
  private volatile boolean answeredOnce;

  // Only the callback of the one question in flight (the asking flag) touches these two.
  private long awaySince = -1; // System.nanoTime() of the first unanswered question, -1 if none
  private long remindedAt;

  KafkaProbe(
      Admin admin, String bootstrapServers, String mode, Supplier<InteractionPublisher> publisher) {
    this.admin = admin;
    this.bootstrapServers = bootstrapServers;
    this.mode = mode;
    this.publisher = publisher;
  }

  /**
   * A probe of the cluster at {@code bootstrapServers}; {@code mode} ({@code embedded}, {@code
   * external}) goes into the detail; {@code publisher} may supply null until the publisher exists.
   * Resolves the bootstrap addresses: call it off the event loop.
   */
  public static KafkaProbe create(
      String bootstrapServers, String mode, Supplier<InteractionPublisher> publisher) {
    int timeoutMs = (int) TIMEOUT.toMillis();
    Map<String, Object> props = new LinkedHashMap<>();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, CLIENT_ID);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
    // a broker that is back is found within a second or so, not after the default backoffs
    props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, (long) timeoutMs);
    props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, (long) timeoutMs);
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000L);
    return new KafkaProbe(Admin.create(props), bootstrapServers, mode, publisher);
  }

  /**
   * Reports the component to {@code health}: from the last answer and the publisher's buffer now,
   * asking Kafka again (asynchronously) once the answer is older than {@link #REFRESH}.
   */
  public void probe(NodeHealth health) {
    if (closed) {
      return;
    }
    if (System.nanoTime() - askedAt >= REFRESH.toNanos() && asking.compareAndSet(false, true)) {
      askedAt = System.nanoTime();
      ask()
          .whenComplete(
              (answer, error) -> {
                logChange(answer, System.nanoTime());
                questions.incrementAndGet();
                answeredOnce |= answer.failure() == null;
                last = answer;
                asking.set(false);
                report(health);
              });
    }
    report(health);
  }

  private void report(NodeHealth health) {
    Answer answer = last;
    // no answer yet: what start-up reported stands (STARTING, or UP for a broker it just started)
    if (!closed && answer != null) {
      health.report(NodeHealth.KAFKA, status(answer, answeredOnce, publisher.get()));
    }
  }

  /**
   * Logs the start of an outage (the first unanswered question), a reminder at most every {@link
   * #REMINDER} while it lasts, and its end (the first answer after it); nothing for the questions
   * in between. {@code now} in {@link System#nanoTime()}.
   */
  void logChange(Answer answer, long now) {
    if (answer.failure() != null) {
      if (awaySince < 0) {
        awaySince = now;
        remindedAt = now;
        LOG.warn(
            "Kafka at {} ({}) {}: {}; /health reports kafka {}, interaction events wait in the"
                + " node's publisher (logged again at most every {} s while this lasts)",
            bootstrapServers,
            mode,
            answeredOnce ? "stopped answering" : "has not answered yet",
            answer.failure(),
            answeredOnce ? "DOWN" : "STARTING",
            REMINDER.toSeconds());
      } else if (now - remindedAt >= REMINDER.toNanos()) {
        remindedAt = now;
        LOG.warn(
            "Kafka at {} ({}) still does not answer after {} s: {}",
            bootstrapServers,
            mode,
            Duration.ofNanos(now - awaySince).toSeconds(),
            answer.failure());
      }
    } else if (awaySince >= 0) {
      LOG.info(
          "Kafka at {} ({}) answers again after {} s (cluster {}, {} broker(s))",
          bootstrapServers,
          mode,
          Duration.ofNanos(now - awaySince).toSeconds(),
          answer.clusterId(),
          answer.brokers());
      awaySince = -1;
    }
  }

  /** How many questions Kafka answered or left unanswered so far. */
  long questions() {
    return questions.get();
  }

  /** Never fails: an unanswered question is an {@link Answer} with its reason. */
  private CompletionStage<Answer> ask() {
    try {
      DescribeClusterResult cluster =
          admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) TIMEOUT.toMillis()));
      return cluster
          .clusterId()
          .toCompletionStage()
          .thenCombine(
              cluster.nodes().toCompletionStage(), (id, nodes) -> Answer.ok(id, nodes.size()))
          .exceptionally(e -> Answer.failed(reason(e)));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(Answer.failed(reason(e)));
    }
  }

  /**
   * The component's state from the last answer (null: none yet), whether Kafka ever answered, and
   * the publisher (null: not created yet).
   */
  ComponentStatus status(Answer answer, boolean answeredOnce, InteractionPublisher publisher) {
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("bootstrap_servers", bootstrapServers);
    detail.put("mode", mode);
    if (publisher != null) {
      detail.put("buffered_events", publisher.bufferedEvents());
    }
    if (answer == null) {
      return new ComponentStatus(ComponentStatus.State.STARTING, detail);
    }
    if (answer.failure() != null) {
      detail.put(
          "reason",
          "Kafka did not answer within " + TIMEOUT.toSeconds() + " s: " + answer.failure());
      // before its first answer the node is still starting, and start-up waits for Kafka
      return new ComponentStatus(
          answeredOnce ? ComponentStatus.State.DOWN : ComponentStatus.State.STARTING, detail);
    }
    if (answer.clusterId() != null) {
      detail.put("cluster_id", answer.clusterId());
    }
    detail.put("brokers", answer.brokers());
    if (publisher != null && publisher.backlogged()) {
      detail.put(
          "reason",
          "the interaction publisher holds "
              + publisher.bufferedEvents()
              + " unacknowledged events ("
              + publisher.bufferedBytes()
              + " bytes), over 80% of its bound: Kafka answers but does not keep up, sessions"
              + " refuse new work (recording_backlog)");
      return new ComponentStatus(ComponentStatus.State.DEGRADED, detail);
    }
    return new ComponentStatus(ComponentStatus.State.UP, detail);
  }

  private static String reason(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }

  /** Stops asking; a question in flight fails, bounded by {@link #TIMEOUT}. */
  @Override
  public void close() {
    closed = true;
    admin.close(TIMEOUT);
  }

  /** What Kafka said: its cluster id and broker count, or why it said nothing ({@code failure}). */
  record Answer(String clusterId, int brokers, String failure) {

    static Answer ok(String clusterId, int brokers) {
      return new Answer(clusterId, brokers, null);
    }

    static Answer failed(String failure) {
      return new Answer(null, 0, failure);
    }
  }
}
