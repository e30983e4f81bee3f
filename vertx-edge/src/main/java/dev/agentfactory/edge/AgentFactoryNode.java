package dev.agentfactory.edge;

import dev.agentfactory.cluster.ClusterNode;
import dev.agentfactory.cluster.KeyRevocations;
import dev.agentfactory.cluster.pool.DrainStatus;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.edge.auth.Auth;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.edge.eval.LiveEvalBoard;
import dev.agentfactory.edge.health.ComponentStatus;
import dev.agentfactory.edge.health.NodeHealth;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.session.ClusterSandboxLeasing;
import dev.agentfactory.edge.session.InteractionRecorder;
import dev.agentfactory.edge.session.SessionHandler;
import dev.agentfactory.edge.session.SessionSettings;
import dev.agentfactory.edge.session.TurnStore;
import dev.agentfactory.sandbox.SandboxPool;
import dev.agentfactory.sandbox.driver.Isolation;
import dev.agentfactory.sandbox.local.DirLock;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Agent Factory node on its embedded defaults: the Vert.x edge, a Hazelcast member, the sandbox
 * warm pool, a single-node Kafka broker and a Flink MiniCluster running the interaction pipeline
 * (submitted through Flink's REST API, as to any cluster). With external Kafka and Flink addresses
 * configured, the same code runs in cluster mode.
 *
 * <pre>{@code
 * try (AgentFactoryNode node = AgentFactoryNode.start(NodeConfig.from(source))) {
 *   // serve until closed
 * }
 * }</pre>
 */
public final class AgentFactoryNode implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AgentFactoryNode.class);

  /** How long each step of the shutdown may take. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  private final NodeConfig config;
  private final TemplateCatalog templates;
  private final NodeHealth health = new NodeHealth();
  private final EdgeMetrics metrics = new EdgeMetrics();
  private final Vertx vertx = Vertx.vertx();
  private final LiveEvalBoard evalBoard = new LiveEvalBoard();
  private final StartGuard guard = new StartGuard(this);
  private final NodeStores stores;
  private final DataPlane data;
  private final EdgeServer edge;
  private final NodeProbes probes;
  // Components are started side by side; these are set as each comes up and closed in a fixed
  // order (publisher, sandboxes, cluster, Flink, Kafka) whatever order they started in.
  private volatile SandboxPool pool;
  private volatile ClusterNode cluster;
  private volatile WarmPool warmPool;
  private volatile SessionHandler sessions;
  private volatile DirLock dataDirLock;

  private AgentFactoryNode(NodeConfig config) {
    this.config = config;
    this.templates = templates(config);
    this.stores = new NodeStores(vertx, config, templates, health, guard::closed);
    this.data = new DataPlane(config, vertx, health, metrics, evalBoard, guard);
    this.edge = new EdgeServer(this, vertx, health, metrics, stores, data, evalBoard);
    this.probes = new NodeProbes(config, health, data, guard);
  }

  /** The built-in sandbox templates and those of {@code sandbox.templates.dir}. */
  private static TemplateCatalog templates(NodeConfig config) {
    if (config.sandboxTemplatesDir().isEmpty()) {
      return TemplateCatalog.builtIn();
    }
    try {
      return TemplateCatalog.builtInWith(config.sandboxTemplatesDir().get());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          "the sandbox templates cannot be loaded (sandbox.templates.dir): " + e.getMessage(), e);
    }
  }

  /**
   * Starts every component and returns once the node serves sessions and the pipeline job runs. On
   * failure, whatever had started is stopped again and the cause is thrown.
   */
  public static AgentFactoryNode start(NodeConfig config) {
    AgentFactoryNode node = create(config);
    node.startUp();
    return node;
  }

  /**
   * A node that has started nothing yet, so that {@link #close()} can be wired (to a shutdown hook)
   * before {@link #startUp()} begins.
   */
  public static AgentFactoryNode create(NodeConfig config) {
    return new AgentFactoryNode(config);
  }

  /**
   * Starts every component, as {@link #start(NodeConfig)} does. {@link #close()} may run on another
   * thread meanwhile (SIGTERM during start-up): it stops what is up, each component that comes up
   * later is stopped as it arrives, and this method then fails.
   */
  public void startUp() {
    try {
      startComponents();
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  /** Whether {@link #close()} has been called. */
  public boolean isClosed() {
    return guard.closed();
  }

  private void startComponents() {
    // First: a second node on this data dir must fail before it opens the stores (H2 refuses
    // with a stack trace) or empties the sandbox work dir under the first one
    guard.adopt(DirLock.acquire(config.dataDir(), "data dir"), lock -> dataDirLock = lock);
    edge.start();
    guard.requireOpen();

    // Kafka, Hazelcast, the sandbox pool and Flink do not depend on each other: start them
    // side by side, then wire what needs two of them.
    // Not the common pool: on two cores its parallelism is one.
    ExecutorService starters =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "node-start");
              t.setDaemon(true);
              return t;
            });
    try {
      startSideBySide(starters);
    } finally {
      starters.shutdown();
    }
  }

  private void startSideBySide(ExecutorService starters) {
    boolean dataOn = config.dataEnabled();
    CompletableFuture<String> kafkaUp =
        dataOn
            ? async(starters, "kafka", data::startKafka)
            : CompletableFuture.completedFuture(null);
    CompletableFuture<ClusterNode> clusterUp = async(starters, "hazelcast", this::startCluster);
    CompletableFuture<SandboxPool> poolUp = async(starters, "sandbox pool", this::startPool);
    CompletableFuture<URI> flinkUp =
        dataOn
            ? async(starters, "flink", data::startFlink)
            : CompletableFuture.completedFuture(null);
    try {
      // get, not join: a SIGTERM during start-up interrupts this wait (an external Kafka that
      // does not answer keeps its starter busy for up to two minutes)
      CompletableFuture.allOf(kafkaUp, clusterUp, poolUp, flinkUp).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("start-up interrupted", e);
    } catch (ExecutionException e) {
      throw new CompletionException(e.getCause());
    }
    data.reached(kafkaUp.join(), flinkUp.join());
    InteractionRecorder recorder = dataOn ? data.startRecording(stores.turnStore()) : data.off();
    startSessions(clusterUp.join(), poolUp.join(), recorder);
    health.report(NodeHealth.EDGE, ComponentStatus.up(Map.of("url", httpUrl())));
    vertx.setPeriodic(1, 1000, id -> probes.probe(clusterUp.join(), poolUp.join()));
    probes.awaitHealthy();
  }

  /**
   * Serves sessions on the cluster's warm pool over {@code started}, recording their interactions
   * with {@code recorder}; ends those of revoked keys; publishes the pool's gauges.
   */
  private void startSessions(
      ClusterNode clusterUp, SandboxPool started, InteractionRecorder recorder) {
    String isolation = started.stats().isolation();
    warmPool = clusterUp.pool(started);
    sessions =
        new SessionHandler(
            vertx,
            new ClusterSandboxLeasing(vertx, warmPool, isolation, clusterUp.nodeId()),
            recorder,
            new SessionSettings(
                config.sessionMaxFrameBytes(),
                Duration.ofMillis(config.sessionResumeGraceMs()),
                Duration.ofMillis(config.sessionIdlePauseMs()),
                Duration.ofMillis(config.sessionIdleHibernateMs()),
                Duration.ofMillis(config.sessionSlowClientMs()),
                config.sessionMaxUnackedEvents()),
            config.sessionsPerTenant(),
            metrics,
            stores.agentRegistry(),
            stores.modelProviders(),
            config.dataEnabled() ? stores.turnStore() : TurnStore.NONE);
    // A revoked key's sessions end: at once on the node that revoked it, and on the others as
    // soon as they read the shared key store again: at once when the revocation is announced on
    // the cluster, else at their next periodic reload (every 10 s)
    SessionHandler handler = sessions;
    Auth auth = edge.auth();
    auth.onKeysChanged(() -> handler.keysChanged(auth::refuses));
    handler.keysChanged(auth::refuses);
    KeyRevocations revocations = clusterUp.keyRevocations();
    revocations.onRevokedElsewhere(
        keyId -> {
          metrics.keyRevocationNotice("received", "ok");
          auth.revokedElsewhere(keyId);
        });
    auth.announceRevocationsWith(
        keyId ->
            revocations
                .publish(keyId)
                .whenComplete(
                    (done, failure) ->
                        metrics.keyRevocationNotice("sent", failure == null ? "ok" : "failed")));
    for (String template : started.stats().target().keySet()) {
      metrics.gauge(
          "af_sandboxes_ready",
          "Warm sandboxes ready to lease on this node",
          "template",
          template,
          () -> started.stats().ready().getOrDefault(template, 0));
      metrics.gauge(
          "af_sandboxes_leased",
          "Sandboxes held by sessions on this node",
          "template",
          template,
          () -> started.stats().leased().getOrDefault(template, 0));
    }
  }

  private static <T> CompletableFuture<T> async(
      ExecutorService executor, String what, Supplier<T> start) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return start.get();
          } catch (RuntimeException e) {
            throw new IllegalStateException(what + " did not start: " + e.getMessage(), e);
          }
        },
        executor);
  }

  private ClusterNode startCluster() {
    return guard.adopt(ClusterNode.start(config.cluster()), c -> this.cluster = c);
  }

  private SandboxPool startPool() {
    SandboxConfig sandboxConfig =
        SandboxConfig.defaults(sandboxesDir())
            .withIsolation(Isolation.fromId(config.sandboxIsolation()))
            .withWarmTarget("shell", config.sandboxPoolSize());
    return guard.adopt(new LocalSandboxPool(sandboxConfig, templates), p -> this.pool = p);
  }

  /**
   * Where sandbox workspaces go: {@code sandbox.dir} if set, else {@code DATA_DIR/sandboxes} —
   * unless sandbox uids cannot traverse a parent of the data dir (a checkout under /root, a 0700
   * temp dir), in which case a directory under the system temp dir, named after the data dir, so
   * the default works wherever the node is started from.
   */
  private Path sandboxesDir() {
    Path chosen = sandboxesDir(config, Path.of(System.getProperty("java.io.tmpdir")));
    if (!chosen.equals(config.sandboxesDir())) {
      LOG.warn(
          "sandbox uids cannot traverse {} (a parent of {}); sandbox workspaces go to {} instead"
              + " (set sandbox.dir to choose)",
          SandboxConfig.untraversableParent(config.sandboxesDir()).orElse(null),
          config.sandboxesDir(),
          chosen);
    }
    return chosen;
  }

  static Path sandboxesDir(NodeConfig config, Path tmpDir) {
    Path preferred = config.sandboxesDir();
    if (config.sandboxDir().isPresent()
        || !config.sandboxIsolation().equals("namespace")
        || SandboxConfig.untraversableParent(preferred).isEmpty()) {
      return preferred;
    }
    String key = Integer.toHexString(config.dataDir().toString().hashCode() & 0x7fffffff);
    return tmpDir.resolve("agent-factory-" + key).resolve("sandboxes");
  }

  public NodeHealth health() {
    return health;
  }

  public int httpPort() {
    return edge.port();
  }

  public String httpUrl() {
    return "http://" + config.httpHost() + ":" + edge.portOrZero();
  }

  public URI flinkRestUrl() {
    return data.flinkRestUrl();
  }

  public String kafkaBootstrapServers() {
    return data.kafkaBootstrap();
  }

  public NodeConfig config() {
    return config;
  }

  SessionHandler sessions() {
    return sessions;
  }

  WarmPool warmPool() {
    return warmPool;
  }

  ClusterNode cluster() {
    return cluster;
  }

  /**
   * Drains this node out of the cluster: no new leases here, warm targets move to the other nodes,
   * {@code /ready} answers 503, sessions whose client is gone end at once (no resume grace), and
   * open sessions carry on. Completes when they have all ended or the drain timeout ({@code
   * AF_CLUSTER_DRAIN_TIMEOUT}) passed, with the status then. Blocks; call {@link #close()} after
   * it.
   */
  public DrainStatus drain() {
    WarmPool pool = warmPool;
    if (pool == null) {
      return new DrainStatus(true, 0, 0);
    }
    CompletionStage<DrainStatus> drained = pool.drain();
    endDetachedSessions();
    try {
      return drained
          .toCompletableFuture()
          .get(config.cluster().pool().drainTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return pool.drainStatus();
    } catch (Exception e) {
      LOG.warn("drain did not complete", e);
      return pool.drainStatus();
    }
  }

  /** The pool drains: sessions whose client is gone end now, not after their resume grace. */
  void endDetachedSessions() {
    SessionHandler handler = sessions;
    if (handler != null) {
      handler.endDetached();
    }
  }

  /**
   * Stops cleanly: no new sessions, open sessions closed and their sandboxes terminated, the
   * pipeline stopped with a final savepoint (so every file is committed) or left running for the
   * other nodes, as {@link DataPlane#stopPipeline} says, then every component.
   */
  @Override
  public synchronized void close() {
    if (guard.closed()) {
      return;
    }
    guard.markClosed();
    SessionHandler handler = sessions;
    if (handler != null) {
      await("closing sessions", handler.shutdown().toCompletionStage().toCompletableFuture());
    }
    edge.stopListening();
    data.stopPipeline(cluster);
    for (AutoCloseable c :
        new AutoCloseable[] {
          data.evalFeed(),
          data.publisher(),
          data.kafkaProbe(),
          pool,
          cluster,
          data.flink(),
          data.kafka()
        }) {
      if (c == null) {
        continue;
      }
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", c.getClass().getSimpleName(), e);
      }
    }
    edge.close();
    await("closing vert.x", vertx.close().toCompletionStage().toCompletableFuture());
    metrics.close();
    if (dataDirLock != null) {
      dataDirLock.close();
    }
  }

  /** Waits up to {@link #STOP_TIMEOUT} for a step of the shutdown; logs what failed. */
  static void await(String what, CompletableFuture<?> future) {
    try {
      future.get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("{} failed", what, e);
    }
  }
}
