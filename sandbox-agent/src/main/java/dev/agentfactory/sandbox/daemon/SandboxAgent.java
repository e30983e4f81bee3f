package dev.agentfactory.sandbox.daemon;

import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone sandbox-agent: a {@link LocalSandboxPool} behind an HTTP + WebSocket API (see
 * {@code docs/sandbox-agent-api.md}). It owns its Vert.x instance, the pool, the leases and a
 * worker pool for sandbox calls; {@link #close()} ends every lease and removes every sandbox.
 *
 * <pre>{@code
 * try (SandboxAgent agent = SandboxAgent.start(DaemonConfig.loopback(dir).withPort(0))) {
 *   int port = agent.port();
 * }
 * }</pre>
 */
public final class SandboxAgent implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SandboxAgent.class);
  private static final long SWEEP_MS = 500;

  /**
   * How long a lease request may wait for its sandbox before it is answered {@code 503
   * lease_timeout}: three times the pool's start timeout, so a cold start that queues behind others
   * still makes it, and well inside a client's patience.
   */
  static final Duration LEASE_TIMEOUT = SandboxConfig.DEFAULT_START_TIMEOUT.multipliedBy(3);

  private final Vertx vertx;
  private final LocalSandboxPool pool;
  private final ExecutorService workers;
  private final LeaseRegistry leases;
  private final HttpServer server;
  private final long sweeper;

  private SandboxAgent(
      Vertx vertx,
      LocalSandboxPool pool,
      ExecutorService workers,
      LeaseRegistry leases,
      HttpServer server,
      long sweeper) {
    this.vertx = vertx;
    this.pool = pool;
    this.workers = workers;
    this.leases = leases;
    this.server = server;
    this.sweeper = sweeper;
  }

  /**
   * Starts the pool (blocking: it prepares the work dir and detects cgroups) and then the API.
   *
   * @throws IllegalArgumentException naming the option when the configuration cannot work
   */
  public static SandboxAgent start(DaemonConfig config) {
    return start(config, LEASE_TIMEOUT);
  }

  /** As {@link #start(DaemonConfig)}, with another bound on lease requests; for tests. */
  static SandboxAgent start(DaemonConfig config, Duration leaseTimeout) {
    TemplateCatalog catalog = catalog(config.templatesDir());
    SandboxConfig sandboxes =
        SandboxConfig.defaults(config.dir())
            .withIsolation(config.isolation())
            .withUidRange(config.uidBase(), config.uidCount())
            .withWarmTarget("shell", config.poolSize());
    LocalSandboxPool pool = new LocalSandboxPool(sandboxes, catalog);
    ExecutorService workers = Executors.newCachedThreadPool(named("sandbox-agent-worker-"));
    Vertx vertx = Vertx.vertx();
    try {
      LeaseRegistry leases = new LeaseRegistry(workers);
      pool.addListener(leases::onEvent);
      Replies replies = new Replies(workers);
      ApiRoutes routes = new ApiRoutes(vertx, config, pool, catalog, leases, replies, leaseTimeout);
      HttpServer server =
          vertx
              .createHttpServer(
                  new HttpServerOptions()
                      .setHost(config.host())
                      .setPort(config.port())
                      .setMaxWebSocketMessageSize((int) ApiRoutes.MAX_JSON_BYTES))
              .requestHandler(routes.router())
              .listen()
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      long sweeper = vertx.setPeriodic(SWEEP_MS, id -> leases.expire());
      LOG.info(
          "sandbox-agent listening on {}:{} ({} isolation, work dir {}, auth {})",
          config.host(),
          server.actualPort(),
          config.isolation().id(),
          config.dir(),
          config.token() == null ? "off (loopback)" : "bearer token");
      return new SandboxAgent(vertx, pool, workers, leases, server, sweeper);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      vertx.close();
      workers.shutdownNow();
      pool.close();
      if (e instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("sandbox-agent did not start: " + e, e);
    }
  }

  /** The port the API listens on (the chosen one when configured as 0). */
  public int port() {
    return server.actualPort();
  }

  public LocalSandboxPool pool() {
    return pool;
  }

  /** Live leases; for tests and metrics. */
  public int leaseCount() {
    return leases.size();
  }

  /** Stops the API, ends every lease, and closes the pool (no sandbox survives). */
  @Override
  public void close() {
    vertx.cancelTimer(sweeper);
    try {
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("closing the API server failed", e);
    }
    leases.closeAll();
    workers.shutdown();
    try {
      if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("sandbox calls still running 30 s after shutdown");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pool.close();
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("closing Vert.x failed", e);
    }
  }

  /** The built-in templates plus every {@code *.json} of {@code dir}, which may replace them. */
  static TemplateCatalog catalog(Path dir) {
    if (dir == null) {
      return TemplateCatalog.builtIn();
    }
    try {
      return TemplateCatalog.builtInWith(dir);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--templates " + e.getMessage(), e);
    }
  }

  private static java.util.concurrent.ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
