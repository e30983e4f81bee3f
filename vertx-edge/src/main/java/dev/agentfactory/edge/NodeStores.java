package dev.agentfactory.edge;

import dev.agentfactory.edge.agent.AgentRegistry;
import dev.agentfactory.edge.agent.AgentSpec;
import dev.agentfactory.edge.agent.AgentSpecCodec;
import dev.agentfactory.edge.agent.JdbcAgentStore;
import dev.agentfactory.edge.agent.ModelProviders;
import dev.agentfactory.edge.auth.ApiKeyStore;
import dev.agentfactory.edge.auth.Auth;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.edge.health.ComponentStatus;
import dev.agentfactory.edge.health.NodeHealth;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.session.JdbcTurnStore;
import dev.agentfactory.edge.session.TurnCipher;
import dev.agentfactory.edge.session.TurnStoreKeyException;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable stores the edge serves from, each an H2 file in the node's edge directory or the
 * shared database its option names: API keys, agents (with the registry and model providers on
 * them) and session turns, and their health ({@link NodeHealth#STORES}).
 */
final class NodeStores {

  // the node's log category, as before this class was split out of it
  private static final Logger LOG = LoggerFactory.getLogger(AgentFactoryNode.class);

  /** How often {@code /health} asks the stores whether their database answers. */
  private static final long STORE_PROBE_MS = 10_000;

  private final Vertx vertx;
  private final NodeConfig config;
  private final TemplateCatalog templates;
  private final NodeHealth health;
  private final BooleanSupplier closed;
  private final Path edgeDir;
  private ApiKeyStore keyStore;
  private JdbcAgentStore agentStore;
  private AgentRegistry agentRegistry;
  private ModelProviders modelProviders;
  private JdbcTurnStore turnStore;

  /**
   * @param closed whether the node was closed: the stores are no longer probed then
   */
  NodeStores(
      Vertx vertx,
      NodeConfig config,
      TemplateCatalog templates,
      NodeHealth health,
      BooleanSupplier closed) {
    this.vertx = vertx;
    this.config = config;
    this.templates = templates;
    this.health = health;
    this.closed = closed;
    this.edgeDir = config.dataDir().resolve("edge");
  }

  /** Where the embedded stores keep their files. */
  Path edgeDir() {
    return edgeDir;
  }

  /** Opens the API key store (creating the edge directory first). */
  ApiKeyStore openKeyStore() {
    try {
      Files.createDirectories(edgeDir);
      keyStore =
          config.authStoreUrl().isPresent()
              ? ApiKeyStore.open(config.authStoreUrl().get())
              : ApiKeyStore.embedded(edgeDir);
    } catch (Exception e) {
      throw new IllegalStateException("the API key store cannot be opened: " + e.getMessage(), e);
    }
    return keyStore;
  }

  /** The agent registry on its durable store, with the built-in demo agents applied. */
  void openAgents() {
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

  /**
   * Opens the session turn store, with its re-encryption gauges: an H2 file in the edge directory,
   * or the database {@code session.store.url} names, which every node of a cluster shares, so
   * feedback reaches a turn of a session that ended or lives on another node.
   */
  void openTurnStore(EdgeMetrics metrics) {
    turnStore = openTurnStore();
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
  }

  private JdbcTurnStore openTurnStore() {
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

  /** Reports the stores up, then asks them again every {@link #STORE_PROBE_MS}. */
  void startProbing() {
    reportStores(null, null, null);
    vertx.setPeriodic(STORE_PROBE_MS, STORE_PROBE_MS, id -> probeStores());
  }

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
    if (closed.getAsBoolean() || keys == null || agents == null || turns == null) {
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

  AgentRegistry agentRegistry() {
    return agentRegistry;
  }

  ModelProviders modelProviders() {
    return modelProviders;
  }

  JdbcTurnStore turnStore() {
    return turnStore;
  }

  /** Closes the model providers, then the turn, agent and API key stores, those that opened. */
  void close() {
    if (modelProviders != null) {
      AgentFactoryNode.await(
          "closing model providers",
          modelProviders.close().toCompletionStage().toCompletableFuture());
    }
    if (turnStore != null) {
      AgentFactoryNode.await(
          "closing the turn store", turnStore.close().toCompletionStage().toCompletableFuture());
    }
    if (agentStore != null) {
      AgentFactoryNode.await(
          "closing the agent store", agentStore.close().toCompletionStage().toCompletableFuture());
    }
    if (keyStore != null) {
      try {
        keyStore.close();
      } catch (Exception e) {
        LOG.warn("closing the API key store failed", e);
      }
    }
  }
}
