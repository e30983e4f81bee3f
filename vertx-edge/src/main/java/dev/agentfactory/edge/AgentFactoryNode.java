package dev.agentfactory.edge;

import dev.agentfactory.cluster.ClusterNode;
import dev.agentfactory.cluster.KeyRevocations;
import dev.agentfactory.cluster.pool.DrainStatus;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.connectors.dataset.version.Lineage;
import dev.agentfactory.connectors.flink.EmbeddedFlink;
import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.SavepointLog;
import dev.agentfactory.connectors.kafka.TopicSetup;
import dev.agentfactory.connectors.kafka.Topics;
import dev.agentfactory.edge.admin.ClusterLeasesHandler;
import dev.agentfactory.edge.admin.DrainHandler;
import dev.agentfactory.edge.agent.AgentRegistry;
import dev.agentfactory.edge.agent.AgentSpec;
import dev.agentfactory.edge.agent.AgentSpecCodec;
import dev.agentfactory.edge.agent.AgentsHandler;
import dev.agentfactory.edge.agent.JdbcAgentStore;
import dev.agentfactory.edge.agent.ModelProviders;
import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.api.ApiRouter;
import dev.agentfactory.edge.api.OversizedMessages;
import dev.agentfactory.edge.auth.ApiKeyStore;
import dev.agentfactory.edge.auth.Auth;
import dev.agentfactory.edge.auth.KeysHandler;
import dev.agentfactory.edge.auth.RateLimiter;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.edge.dataset.DatasetsHandler;
import dev.agentfactory.edge.eval.EvalHandler;
import dev.agentfactory.edge.eval.LiveEvalBoard;
import dev.agentfactory.edge.eval.LiveEvalConsumer;
import dev.agentfactory.edge.health.ClusterStatus;
import dev.agentfactory.edge.health.ComponentStatus;
import dev.agentfactory.edge.health.HealthHandler;
import dev.agentfactory.edge.health.KafkaProbe;
import dev.agentfactory.edge.health.NodeHealth;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.metrics.MetricsHandler;
import dev.agentfactory.edge.pipeline.JobsHandler;
import dev.agentfactory.edge.pipeline.PipelineJob;
import dev.agentfactory.edge.pipeline.PipelineMetrics;
import dev.agentfactory.edge.pipeline.PipelineProbe;
import dev.agentfactory.edge.session.ClusterSandboxLeasing;
import dev.agentfactory.edge.session.InteractionRecorder;
import dev.agentfactory.edge.session.JdbcTurnStore;
import dev.agentfactory.edge.session.KafkaInteractionRecorder;
import dev.agentfactory.edge.session.SessionHandler;
import dev.agentfactory.edge.session.SessionSettings;
import dev.agentfactory.edge.session.TurnCipher;
import dev.agentfactory.edge.session.TurnStore;
import dev.agentfactory.edge.session.TurnStoreKeyException;
import dev.agentfactory.edge.session.TurnStoreRecorder;
import dev.agentfactory.sandbox.PoolStats;
import dev.agentfactory.sandbox.SandboxPool;
import dev.agentfactory.sandbox.driver.Isolation;
import dev.agentfactory.sandbox.local.DirLock;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.NewTopic;
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
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  private final NodeConfig config;
  private final TemplateCatalog templates;
  private final NodeHealth health = new NodeHealth();
  private final EdgeMetrics metrics = new EdgeMetrics();
  private final Vertx vertx = Vertx.vertx();
  private HttpServer server;
  private DatasetsHandler datasets;
  private JdbcAgentStore agentStore;
  private JdbcTurnStore turnStore;
  private AgentRegistry agentRegistry;
  private ModelProviders modelProviders;
  private ApiKeyStore keyStore;
  private Auth auth;
  // Components are started side by side; these are set as each comes up and closed in a fixed
  // order (publisher, sandboxes, cluster, Flink, Kafka) whatever order they started in.
  private volatile InteractionPublisher publisher;
  private volatile SandboxPool pool;
  private volatile ClusterNode cluster;
  private volatile WarmPool warmPool;
  private volatile EmbeddedFlink flink;
  private volatile EmbeddedKafka kafka;
  private volatile KafkaProbe kafkaProbe;
  private final LiveEvalBoard evalBoard = new LiveEvalBoard();
  private volatile LiveEvalConsumer evalFeed;
  private volatile SessionHandler sessions;
  private volatile PipelineJob pipeline;
  private volatile PipelineProbe pipelineProbe;
  private volatile PipelineMetrics pipelineMetrics;
  private volatile FlinkRestClient flinkRest;
  private String kafkaBootstrap;
  private URI flinkRestUrl;
  private volatile boolean closed;
  private volatile DirLock dataDirLock;

  private AgentFactoryNode(NodeConfig config) {
    this.config = config;
    this.templates = templates(config);
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
    return closed;
  }

  private void startComponents() {
    // First: a second node on this data dir must fail before it opens the stores (H2 refuses
    // with a stack trace) or empties the sandbox work dir under the first one
    adopt(DirLock.acquire(config.dataDir(), "data dir"), lock -> dataDirLock = lock);
    startHttp();
    requireOpen();

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
    boolean data = config.dataEnabled();
    CompletableFuture<String> kafkaUp =
        data ? async(starters, "kafka", this::startKafka) : CompletableFuture.completedFuture(null);
    CompletableFuture<ClusterNode> clusterUp = async(starters, "hazelcast", this::startCluster);
    CompletableFuture<SandboxPool> poolUp = async(starters, "sandbox pool", this::startPool);
    CompletableFuture<URI> flinkUp =
        data ? async(starters, "flink", this::startFlink) : CompletableFuture.completedFuture(null);
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
    kafkaBootstrap = kafkaUp.join();
    flinkRestUrl = flinkUp.join();

    InteractionRecorder recorder;
    if (data) {
      InteractionPublisher published =
          adopt(
              InteractionPublisher.create(
                  kafkaBootstrap, Topics.INTERACTIONS, config.publisher(), Map.of()),
              p -> publisher = p);
      metrics.gauge(
          "af_events_buffered",
          "Interaction events waiting for Kafka's acknowledgement on this node",
          "topic",
          Topics.INTERACTIONS,
          published::bufferedEvents);
      metrics.gauge(
          "af_events_buffered_bytes",
          "Bytes of the interaction events waiting for Kafka's acknowledgement on this node",
          "topic",
          Topics.INTERACTIONS,
          published::bufferedBytes);
      metrics.counter(
          "af_event_publish_retries",
          "Times an interaction event could not be handed to Kafka (away) and was tried again",
          "topic",
          Topics.INTERACTIONS,
          published::retries);
      LiveEvalConsumer feed = new LiveEvalConsumer(kafkaBootstrap, Topics.EVAL_LIVE, evalBoard);
      adopt(feed.start(), f -> evalFeed = f);
      metrics.gauge(
          "af_eval_live_feed_failures",
          "Times the live evaluation feed failed and started over",
          "topic",
          Topics.EVAL_LIVE,
          feed::failures);
      metrics.gauge(
          "af_eval_live_rejected_records",
          "Records on the live evaluation topic that were not valid metrics",
          "topic",
          Topics.EVAL_LIVE,
          feed::rejected);
      startPipeline();
      recorder = new TurnStoreRecorder(new KafkaInteractionRecorder(vertx, publisher), turnStore);
    } else {
      // Said in /health, not only in a log line: nothing this node serves becomes a dataset.
      Map<String, Object> off = Map.of("reason", "data.enabled=false: interactions not recorded");
      health.report(NodeHealth.KAFKA, ComponentStatus.off(off));
      health.report(NodeHealth.FLINK_JOB, ComponentStatus.off(off));
      recorder = record -> Future.succeededFuture();
      LOG.warn("data plane off (data.enabled=false): sessions are served, nothing is recorded");
    }

    String isolation = poolUp.join().stats().isolation();
    warmPool = clusterUp.join().pool(poolUp.join());
    sessions =
        new SessionHandler(
            vertx,
            new ClusterSandboxLeasing(vertx, warmPool, isolation, clusterUp.join().nodeId()),
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
            agentRegistry,
            modelProviders,
            data ? turnStore : TurnStore.NONE);
    // A revoked key's sessions end: at once on the node that revoked it, and on the others as
    // soon as they read the shared key store again: at once when the revocation is announced on
    // the cluster, else at their next periodic reload (every 10 s)
    SessionHandler handler = sessions;
    auth.onKeysChanged(() -> handler.keysChanged(auth::refuses));
    handler.keysChanged(auth::refuses);
    KeyRevocations revocations = clusterUp.join().keyRevocations();
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
    SandboxPool started = poolUp.join();
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
    health.report(NodeHealth.EDGE, ComponentStatus.up(Map.of("url", httpUrl())));
    vertx.setPeriodic(1, 1000, id -> probe(clusterUp.join(), poolUp.join()));
    awaitHealthy();
  }

  /**
   * Publishes a component that has just started, for {@link #close()} to stop; if close() already
   * ran (a shutdown during start-up) it would never see it, so it is stopped here instead.
   */
  private <T extends AutoCloseable> T adopt(T component, Consumer<T> field) {
    synchronized (this) {
      if (!closed) {
        field.accept(component);
        return component;
      }
    }
    try {
      component.close();
    } catch (Exception e) {
      LOG.warn("closing {} failed", component.getClass().getSimpleName(), e);
    }
    throw new IllegalStateException("the node was closed during start-up");
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the node was closed during start-up");
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

  private void startHttp() {
    Path edgeDir;
    try {
      edgeDir = Files.createDirectories(config.dataDir().resolve("edge"));
      keyStore =
          config.authStoreUrl().isPresent()
              ? ApiKeyStore.open(config.authStoreUrl().get())
              : ApiKeyStore.embedded(edgeDir);
    } catch (Exception e) {
      throw new IllegalStateException("the API key store cannot be opened: " + e.getMessage(), e);
    }
    auth =
        new Auth(
            vertx,
            config.adminKey(),
            keyStore,
            new RateLimiter(config.rateLimitPerSecond(), config.rateLimitBurst()));
    auth.start().toCompletionStage().toCompletableFuture().join();
    if (!auth.enabled()) {
      LOG.warn("auth is off (no auth.admin.key): every caller is tenant 'default'; loopback only");
    }
    startAgents(edgeDir);
    turnStore = openTurnStore(edgeDir);
    JdbcTurnStore turns = turnStore;
    metrics.gauge(
        "af_session_turns_reencrypt_pending",
        "Session turns sealed with an older session.store.key, still to be re-encrypted to the"
            + " first key (0: the older keys can be dropped)",
        "key_id",
        turns.sealingKeyId(),
        turns::turnsUnderOlderKeys);
    metrics.gauge(
        "af_session_turns_unreadable",
        "Session turns sealed with a key this node's session.store.key lacks (another node seals"
            + " with a key this one does not hold)",
        "key_id",
        turns.sealingKeyId(),
        turns::turnsUnderMissingKeys);
    reportStores(null, null, null);
    vertx.setPeriodic(STORE_PROBE_MS, STORE_PROBE_MS, id -> probeStores());
    KeysHandler keys = new KeysHandler(auth);
    AgentsHandler agentsApi = new AgentsHandler(agentRegistry, config.agentsSecrets());
    JobsHandler jobs = new JobsHandler(() -> flinkRest, () -> pipeline);
    DrainHandler drains = new DrainHandler(() -> warmPool, this::endDetachedSessions);
    EvalHandler evalApi = new EvalHandler(evalBoard);
    datasets =
        new DatasetsHandler(
            vertx, config.datasetsDir(), this::lineage, edgeDir.resolve("dataset-cuts"));
    String contract = ApiRouter.contractText();
    Router router =
        ApiRouter.create(
            vertx,
            auth.handler(),
            Map.ofEntries(
                Map.entry("getHealth", new HealthHandler(health)),
                Map.entry("getMetrics", new MetricsHandler(metrics)),
                Map.entry("getReady", this::ready),
                Map.entry(
                    "getOpenApi",
                    ctx ->
                        ctx.response().putHeader("content-type", "application/json").end(contract)),
                Map.entry("openSession", ctx -> whenStarted(ctx, h -> h.open(ctx))),
                Map.entry("resumeSession", ctx -> whenStarted(ctx, h -> h.resume(ctx))),
                Map.entry("sendSessionFeedback", ctx -> whenStarted(ctx, h -> h.feedback(ctx))),
                Map.entry("createKey", keys::create),
                Map.entry("listKeys", keys::list),
                Map.entry("revokeKey", keys::revoke),
                Map.entry("getClusterLeases", new ClusterLeasesHandler(vertx, () -> cluster)::get),
                Map.entry("createAgent", agentsApi::create),
                Map.entry("listAgents", agentsApi::list),
                Map.entry("getAgent", agentsApi::get),
                Map.entry("addAgentVersion", agentsApi::addVersion),
                Map.entry("listAgentVersions", agentsApi::versions),
                Map.entry("deployAgent", agentsApi::deploy),
                Map.entry("promoteAgent", agentsApi::promote),
                Map.entry("rollbackAgent", agentsApi::rollback),
                Map.entry("listJobs", jobs::list),
                Map.entry("submitJob", jobs::submit),
                Map.entry("stopJob", jobs::stop),
                Map.entry("listDatasets", datasets::list),
                Map.entry("cutDatasetVersion", datasets::cut),
                Map.entry("getDatasetCut", datasets::cutStatus),
                Map.entry("listDatasetVersions", datasets::versions),
                Map.entry("getDatasetVersion", datasets::version),
                Map.entry("getDatasetFile", datasets::file),
                Map.entry("drainNode", drains::drain),
                Map.entry("getDrainStatus", drains::status),
                Map.entry("getEvalLive", evalApi::live),
                Map.entry("streamEvalLive", evalApi::stream)));
    HttpServerOptions options =
        OversizedMessages.limit(
            new HttpServerOptions().setHost(config.httpHost()).setPort(config.httpPort()));
    try {
      server =
          vertx
              .createHttpServer(options)
              .invalidRequestHandler(ApiErrors::invalidRequest)
              .requestHandler(router)
              .listen()
              .toCompletionStage()
              .toCompletableFuture()
              .join();
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "the edge cannot listen on "
              + config.httpHost()
              + ":"
              + config.httpPort()
              + ": "
              + e.getMessage(),
          e);
    }
    health.report(
        NodeHealth.EDGE,
        new ComponentStatus(ComponentStatus.State.STARTING, Map.of("url", httpUrl())));
  }

  /**
   * Which job wrote the files, its latest completed checkpoint (asked right after a cut listed the
   * files, so that checkpoint or an earlier one committed each of them), the savepoint it last
   * resumed from and the judge that labelled the rows, for a version cut. Runs on a worker thread.
   */
  private Lineage lineage() {
    PipelineJob job = pipeline;
    // the savepoint the running job actually started from, not merely the one last recorded
    String savepoint = job == null ? null : job.resumedFrom().orElse(null);
    String jobId = job == null ? null : job.jobId();
    Long checkpoint = null;
    FlinkRestClient rest = flinkRest;
    if (jobId != null && rest != null) {
      try {
        checkpoint =
            rest.latestCompletedCheckpoint(jobId)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .orElse(null);
      } catch (Exception e) {
        LOG.warn("no checkpoint id for the cut's lineage: Flink did not say ({})", e.toString());
      }
    }
    return new Lineage(jobId, checkpoint, savepoint, List.of(), config.judge().version());
  }

  /**
   * {@code GET /ready}: 200 once sessions are accepted, 503 while starting, draining or stopping or
   * while a component other than the data plane (Kafka, the pipeline job) is unhealthy ({@link
   * NodeHealth#readyForSessions()}).
   */
  private void ready(RoutingContext ctx) {
    WarmPool pool = warmPool;
    boolean ready =
        sessions != null
            && !closed
            && health.readyForSessions()
            && (pool == null || !pool.drainStatus().draining());
    ctx.response()
        .setStatusCode(ready ? 200 : 503)
        .putHeader("content-type", "application/json")
        .end(ready ? "{\"ready\":true}" : "{\"ready\":false}");
  }

  /**
   * The session turn store: an H2 file in the edge directory, or the database {@code
   * session.store.url} names, which every node of a cluster shares, so feedback reaches a turn of a
   * session that ended or lives on another node.
   */
  private JdbcTurnStore openTurnStore(Path edgeDir) {
    String url = config.sessionStoreUrl().orElse(JdbcTurnStore.embeddedUrl(edgeDir));
    TurnCipher cipher;
    try {
      // A shared store always has a configured key (NodeConfig); only the embedded default may
      // use a key of this node's own.
      cipher =
          config.sessionStoreKey().isPresent()
              ? TurnCipher.fromSpec(config.sessionStoreKey().get())
              : TurnCipher.generatedIn(edgeDir);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "the session turn store key cannot be read (session.store.key): " + e.getMessage(), e);
    }
    LOG.info(
        "session turn store encrypted with key {} (opens {})",
        cipher.sealingKeyId(),
        cipher.keyIds());
    try {
      return JdbcTurnStore.open(
              vertx, url, Duration.ofHours(config.sessionTurnRetentionHours()), cipher)
          .toCompletionStage()
          .toCompletableFuture()
          .join();
    } catch (RuntimeException e) {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof TurnStoreKeyException keys) {
        throw keys; // names the key ids and the option already
      }
      throw new IllegalStateException(
          "the session turn store cannot be opened (session.store.url): " + cause.getMessage(),
          cause);
    }
  }

  /** The agent registry on its durable store, with the built-in demo agents applied. */
  private void startAgents(Path edgeDir) {
    Optional<String> shared = config.agentsStoreUrl();
    // a shared store's URL carries its own user and password; the embedded file has none
    String url = shared.orElse(JdbcAgentStore.embeddedUrl(edgeDir));
    String user = shared.isPresent() ? null : "";
    try {
      agentStore =
          JdbcAgentStore.open(vertx, url, user, user)
              .toCompletionStage()
              .toCompletableFuture()
              .join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException(
          "the agent store cannot be opened (agents.store.url): " + cause.getMessage(), cause);
    }
    AgentSpec math = new AgentSpecCodec().readResource("agents/math.json");
    // Built in for every tenant without a math of its own; the default tenant also keeps its
    // stored copy, which it may version and deploy as before
    agentRegistry = new AgentRegistry(agentStore, Clock.systemUTC(), templates, List.of(math));
    modelProviders = new ModelProviders(vertx, config.agentsSecrets());
    agentRegistry.apply(Auth.DEFAULT_TENANT, math).toCompletionStage().toCompletableFuture().join();
  }

  private void whenStarted(RoutingContext ctx, Consumer<SessionHandler> action) {
    SessionHandler handler = sessions;
    if (handler == null) {
      ApiErrors.starting(ctx, "node is starting");
    } else {
      action.accept(handler);
    }
  }

  /**
   * The topics a node and its pipeline job use: the broker's default partitions and replication,
   * except for the compacted savepoint log.
   */
  private static final List<NewTopic> TOPICS =
      List.of(
          new NewTopic(Topics.INTERACTIONS, Optional.empty(), Optional.empty()),
          new NewTopic(Topics.INTERACTIONS_DLQ, Optional.empty(), Optional.empty()),
          new NewTopic(Topics.EVAL_LIVE, Optional.empty(), Optional.empty()),
          SavepointLog.TOPIC);

  /** How long start-up waits for an external Kafka cluster to list its topics. */
  private static final Duration KAFKA_WAIT = Duration.ofMinutes(2);

  private String startKafka() {
    Optional<String> external = config.kafkaBootstrapServers();
    if (external.isPresent()) {
      // STARTING until the probe hears from the cluster: start-up waits for it
      adopt(KafkaProbe.create(external.get(), "external", () -> publisher), p -> kafkaProbe = p);
      // a new cluster has none of them, and the pipeline job cannot start on a missing topic
      TopicSetup.ensureExist(external.get(), KAFKA_WAIT, TOPICS);
      return external.get();
    }
    EmbeddedKafka kafka =
        adopt(
            EmbeddedKafka.start(config.dataDir().resolve("kafka"), config.kafkaPort()),
            k -> this.kafka = k);
    kafka.createTopics(TOPICS);
    adopt(
        KafkaProbe.create(kafka.bootstrapServers(), "embedded", () -> publisher),
        p -> kafkaProbe = p);
    health.report(
        NodeHealth.KAFKA,
        ComponentStatus.up(
            Map.of("bootstrap_servers", kafka.bootstrapServers(), "mode", "embedded")));
    return kafka.bootstrapServers();
  }

  private ClusterNode startCluster() {
    return adopt(ClusterNode.start(config.cluster()), c -> this.cluster = c);
  }

  private SandboxPool startPool() {
    SandboxConfig sandboxConfig =
        SandboxConfig.defaults(sandboxesDir())
            .withIsolation(Isolation.fromId(config.sandboxIsolation()))
            .withWarmTarget("shell", config.sandboxPoolSize());
    return adopt(new LocalSandboxPool(sandboxConfig, templates), p -> this.pool = p);
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

  private URI startFlink() {
    Optional<String> external = config.flinkRestUrl();
    if (external.isPresent()) {
      return URI.create(external.get());
    }
    EmbeddedFlink flink =
        adopt(
            EmbeddedFlink.start(config.dataDir().resolve("flink"), config.flinkPort(), Map.of()),
            f -> this.flink = f);
    return flink.restUrl();
  }

  private void startPipeline() {
    Path jar =
        config
            .pipelineJar()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "flink.pipeline.jar is not set: start the node with ./agent-factory up,"
                            + " which builds and passes the job jar"));
    // every stop names the directory: an external cluster may have no default savepoint dir
    flinkRest =
        new FlinkRestClient(flinkRestUrl).withSavepointDirectory(config.flinkSavepointsDir());
    SavepointLog savepointLog = new SavepointLog(kafkaBootstrap, Duration.ofSeconds(30));
    PipelineJob job =
        new PipelineJob(
            flinkRest,
            jar,
            config.dataDir().resolve("flink").resolve("last-savepoint"),
            Optional.ofNullable(flink).map(EmbeddedFlink::checkpointsDir),
            flink == null ? Optional.empty() : config.localSavepointsDir(),
            config.savepointsRetained(),
            kafkaBootstrap,
            config.datasetsDir(),
            config.checkpointIntervalMs(),
            config.judge(),
            Optional.of(savepointLog));
    String jobId;
    try {
      // nodes sharing one Flink cluster share one pipeline job: the first submits it, the others
      // adopt it
      jobId = job.submitOrAdopt().toCompletableFuture().get(2, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException("the pipeline job was not accepted by Flink: " + e, e);
    }
    pipelineProbe =
        new PipelineProbe(
            job,
            flinkRestUrl,
            Optional.of(savepointLog),
            vertx.createSharedWorkerExecutor("af-pipeline-probe", 1),
            PipelineProbe.NOT_RUNNING_BOUND);
    pipelineMetrics = new PipelineMetrics(job, flinkRest, metrics, PipelineMetrics.REFRESH);
    // Published once it runs: until then POST /v1/jobs answers 503 starting, never a second job.
    pipeline = job;
    LOG.info(
        "pipeline job {} {} {}",
        jobId,
        job.adopted() ? "adopted (submitted by another node) on" : "submitted to",
        flinkRestUrl);
  }

  /**
   * Whether the deletion of what earlier runs left is in flight ({@link
   * PipelineJob#pruneEarlierRuns()}, once for each job, after its first checkpoint).
   */
  private final java.util.concurrent.atomic.AtomicBoolean pruning =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** Whether the "alone in the cluster" warning was logged since the node last saw a peer. */
  private final java.util.concurrent.atomic.AtomicBoolean aloneWarned =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** Refreshes the health of the components that can change after start-up. */
  private void probe(ClusterNode cluster, SandboxPool pool) {
    ComponentStatus clusterStatus = ClusterStatus.of(cluster.health(), config.cluster().members());
    if (clusterStatus.state() == ComponentStatus.State.DEGRADED
        && aloneWarned.compareAndSet(false, true)) {
      LOG.warn("cluster: {}", clusterStatus.detail().get("reason"));
    } else if (clusterStatus.state() == ComponentStatus.State.UP) {
      aloneWarned.set(false);
    }
    health.report(NodeHealth.HAZELCAST, clusterStatus);
    PoolStats stats = pool.stats();
    Map<String, Object> poolDetail = new LinkedHashMap<>();
    poolDetail.put("isolation", stats.isolation());
    poolDetail.put("ready", stats.ready());
    poolDetail.put("leased", stats.leased());
    poolDetail.put("target", stats.target());
    health.report(NodeHealth.SANDBOX_POOL, ComponentStatus.up(poolDetail));
    KafkaProbe kafkaUp = kafkaProbe;
    if (kafkaUp != null) {
      kafkaUp.probe(health); // asks Kafka at most every few seconds, never on this thread
    }
    if (pipeline == null) {
      return; // data plane off: nothing to probe
    }
    if (pruning.compareAndSet(false, true)) {
      // a no-op without a call to Flink once it ran for the job submitted last
      pipeline
          .pruneEarlierRuns()
          .whenComplete(
              (done, e) -> {
                if (e != null) {
                  // Flink did not answer: /health says so; the next probe tries again
                  LOG.debug("cannot prune what earlier pipeline runs left yet", e);
                }
                pruning.set(false);
              });
    }
    pipelineProbe.probe(health); // never blocks: Flink and Kafka answer on their threads
    pipelineMetrics.refresh(); // the same, at most every few seconds
  }

  /** How often {@code /health} asks the stores whether their database answers. */
  private static final long STORE_PROBE_MS = 10_000;

  /**
   * Pings the API key, agent and session turn stores (each reconnects once if its connection was
   * lost) and reports {@link NodeHealth#STORES}: DOWN, naming the store and the database's reason,
   * while any of them does not answer. In cluster mode they are one shared PostgreSQL; without it
   * no key authenticates, so the node is rightly not ready.
   */
  private void probeStores() {
    ApiKeyStore keys = keyStore;
    JdbcAgentStore agents = agentStore;
    JdbcTurnStore turns = turnStore;
    if (closed || keys == null || agents == null || turns == null) {
      return;
    }
    Future<Void> auth =
        vertx.executeBlocking(
            () -> {
              keys.ping();
              return null;
            },
            false);
    Future<Void> agent = agents.ping();
    Future<Void> turn = turns.ping();
    Future.join(auth, agent, turn)
        .onComplete(
            done ->
                reportStores(
                    auth.failed() ? auth.cause() : null,
                    agent.failed() ? agent.cause() : null,
                    turn.failed() ? turn.cause() : null));
  }

  private void reportStores(Throwable auth, Throwable agents, Throwable turns) {
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("auth", storeDetail(config.authStoreUrl().isPresent(), auth));
    detail.put("agents", storeDetail(config.agentsStoreUrl().isPresent(), agents));
    detail.put("session_turns", storeDetail(config.sessionStoreUrl().isPresent(), turns));
    boolean up = auth == null && agents == null && turns == null;
    health.report(
        NodeHealth.STORES,
        new ComponentStatus(up ? ComponentStatus.State.UP : ComponentStatus.State.DOWN, detail));
  }

  private static Map<String, Object> storeDetail(boolean shared, Throwable failure) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("status", failure == null ? "UP" : "DOWN");
    d.put("database", shared ? "shared (JDBC URL)" : "embedded H2");
    if (failure != null) {
      d.put("reason", String.valueOf(failure.getMessage()));
    }
    return d;
  }

  /**
   * Waits until every component is healthy and the pipeline job runs: {@code /health} counts a job
   * Flink still deploys or restarts as healthy ({@code DEGRADED}), but a node that started serves
   * its data plane.
   */
  private void awaitHealthy() {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    PipelineProbe probe = pipelineProbe;
    while (!health.allUp() || (probe != null && probe.deploying())) {
      requireOpen();
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("node not healthy after 2 minutes: " + health.snapshot());
      }
      health.snapshot().values().stream()
          .filter(s -> s.state() == ComponentStatus.State.DOWN)
          .findFirst()
          .ifPresent(
              down -> {
                throw new IllegalStateException("a component is down: " + health.snapshot());
              });
      try {
        Thread.sleep(100); // start-up only, on the caller's thread: never on an event loop
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting", e);
      }
    }
  }

  public NodeHealth health() {
    return health;
  }

  public int httpPort() {
    return server.actualPort();
  }

  public String httpUrl() {
    return "http://" + config.httpHost() + ":" + (server == null ? 0 : server.actualPort());
  }

  public URI flinkRestUrl() {
    return flinkRestUrl;
  }

  public String kafkaBootstrapServers() {
    return kafkaBootstrap;
  }

  public NodeConfig config() {
    return config;
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
  private void endDetachedSessions() {
    SessionHandler handler = sessions;
    if (handler != null) {
      handler.endDetached();
    }
  }

  /**
   * How this node leaves its Flink cluster: the embedded one stops with it; other nodes keep using
   * an external one while the Hazelcast cluster has other members. Nodes of one cluster share one
   * Flink cluster (k8s/edge-statefulset.yaml); a member configured with another Flink would adopt
   * nothing, and the job left running here keeps running unattended until a node pointed at this
   * Flink adopts it or {@code DELETE /v1/jobs/{id}} stops it.
   */
  private PipelineJob.Leaving leaving() {
    if (flink != null) {
      return PipelineJob.Leaving.FLINK_STOPS_TOO;
    }
    ClusterNode c = cluster;
    return c != null && c.health().memberCount() > 1
        ? PipelineJob.Leaving.OTHERS_STAY
        : PipelineJob.Leaving.LAST_NODE;
  }

  /**
   * Stops cleanly: no new sessions, open sessions closed and their sandboxes terminated, the
   * pipeline stopped with a final savepoint (so every file is committed) or left running for the
   * other nodes, as {@link #leaving()} says, then every component.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    SessionHandler handler = sessions;
    if (handler != null) {
      await("closing sessions", handler.shutdown().toCompletionStage().toCompletableFuture());
    }
    if (server != null) {
      await("closing the edge", server.close().toCompletionStage().toCompletableFuture());
    }
    if (pipeline != null) {
      try {
        // left running for the other nodes that use an external Flink; stopped with a savepoint
        // when it is the last one, or when the embedded Flink stops with this node
        pipeline
            .shutdown(leaving())
            .toCompletableFuture()
            .get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
            .ifPresent(
                savepoint ->
                    LOG.info("pipeline job stopped with a final savepoint at {}", savepoint));
      } catch (Exception e) {
        LOG.warn(
            "pipeline job did not stop with a savepoint; files of the last interval may"
                + " stay uncommitted",
            e);
      }
    }
    for (AutoCloseable c :
        new AutoCloseable[] {evalFeed, publisher, kafkaProbe, pool, cluster, flink, kafka}) {
      if (c == null) {
        continue;
      }
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", c.getClass().getSimpleName(), e);
      }
    }
    if (auth != null) {
      auth.close();
    }
    if (datasets != null) {
      await("closing dataset workers", datasets.close().toCompletionStage().toCompletableFuture());
    }
    if (modelProviders != null) {
      await(
          "closing model providers",
          modelProviders.close().toCompletionStage().toCompletableFuture());
    }
    if (turnStore != null) {
      await("closing the turn store", turnStore.close().toCompletionStage().toCompletableFuture());
    }
    if (agentStore != null) {
      await(
          "closing the agent store", agentStore.close().toCompletionStage().toCompletableFuture());
    }
    if (keyStore != null) {
      try {
        keyStore.close();
      } catch (Exception e) {
        LOG.warn("closing the API key store failed", e);
      }
    }
    await("closing vert.x", vertx.close().toCompletionStage().toCompletableFuture());
    metrics.close();
    if (dataDirLock != null) {
      dataDirLock.close();
    }
  }

  private static void await(String what, CompletableFuture<?> future) {
    try {
      future.get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("{} failed", what, e);
    }
  }
}
