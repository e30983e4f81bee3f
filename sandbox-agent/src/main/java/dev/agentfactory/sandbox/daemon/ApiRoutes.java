package dev.agentfactory.sandbox.daemon;

import dev.agentfactory.sandbox.PoolStats;
import dev.agentfactory.sandbox.driver.Capabilities;
import dev.agentfactory.sandbox.driver.NamespaceDriver;
import dev.agentfactory.sandbox.driver.ProcessDriver;
import dev.agentfactory.sandbox.driver.VmDriver;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import dev.agentfactory.sandbox.template.TemplateSpec;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;

/** The daemon's routes, bearer-token check and error shapes; see docs/sandbox-agent-api.md. */
final class ApiRoutes {

  /** JSON bodies (lease and exec requests, including stdin) are at most this big. */
  static final long MAX_JSON_BYTES = 4L << 20;

  private final Vertx vertx;
  private final DaemonConfig config;
  private final LocalSandboxPool pool;
  private final TemplateCatalog catalog;
  private final LeaseRegistry leases;
  private final LeaseHandler leaseHandler;
  private final ExecHandler execHandler;
  private final FileHandler fileHandler;
  private final Replies replies;
  private final byte[] expectedAuth;

  ApiRoutes(
      Vertx vertx,
      DaemonConfig config,
      LocalSandboxPool pool,
      TemplateCatalog catalog,
      LeaseRegistry leases,
      Replies replies,
      java.time.Duration leaseTimeout) {
    this.vertx = vertx;
    this.config = config;
    this.pool = pool;
    this.catalog = catalog;
    this.leases = leases;
    this.leaseHandler =
        new LeaseHandler(
            pool, leases, replies, config.leaseTtl(), config.maxLeaseTtl(), leaseTimeout);
    this.execHandler = new ExecHandler(leaseHandler, replies);
    this.fileHandler = new FileHandler(leaseHandler, replies);
    this.replies = replies;
    this.expectedAuth =
        config.token() == null
            ? null
            : ("Bearer " + config.token()).getBytes(StandardCharsets.UTF_8);
  }

  Router router() {
    Router router = Router.router(vertx);
    BodyHandler json = BodyHandler.create(false).setBodyLimit(MAX_JSON_BYTES);
    BodyHandler file = BodyHandler.create(false).setBodyLimit(config.maxFileBytes());

    router.get("/health").handler(this::health);
    router.route("/v1/*").handler(this::authenticate);
    // Both read the host (cgroup counters, driver probes): on a worker, like every sandbox call
    router.get("/v1/templates").handler(ctx -> onWorker(ctx, this::templates));
    router.get("/v1/pool").handler(ctx -> onWorker(ctx, this::poolStats));

    router.post("/v1/leases").handler(json).handler(leaseHandler::create);
    router.get("/v1/leases").handler(leaseHandler::list);
    router.get("/v1/leases/:id").handler(leaseHandler::get);
    router.delete("/v1/leases/:id").handler(leaseHandler::delete);
    router.post("/v1/leases/:id/heartbeat").handler(leaseHandler::heartbeat);
    router.post("/v1/leases/:id/pause").handler(leaseHandler::pause);
    router.post("/v1/leases/:id/resume").handler(leaseHandler::resume);
    router.post("/v1/leases/:id/hibernate").handler(leaseHandler::hibernate);

    router.post("/v1/leases/:id/exec").handler(json).handler(execHandler::exec);
    // No body handler here: the upgrade request must reach toWebSocket() unread
    router.get("/v1/leases/:id/exec/stream").handler(execHandler::stream);

    router.get("/v1/leases/:id/files").handler(fileHandler::read);
    router.put("/v1/leases/:id/files").handler(file).handler(fileHandler::write);
    router.get("/v1/leases/:id/files/list").handler(fileHandler::list);

    router.errorHandler(
        404, ctx -> error(ctx, 404, "not_found", "no such endpoint: " + ctx.request().path()));
    router.errorHandler(
        405,
        ctx ->
            error(
                ctx,
                405,
                "method_not_allowed",
                ctx.request().method() + " is not allowed on " + ctx.request().path()));
    router.errorHandler(
        413,
        ctx ->
            error(
                ctx,
                413,
                "body_too_large",
                "the request body is larger than this endpoint accepts ("
                    + (ctx.request().path().endsWith("/files")
                        ? config.maxFileBytes()
                        : MAX_JSON_BYTES)
                    + " bytes)"));
    router.errorHandler(
        500,
        ctx ->
            Replies.fail(
                ctx, ctx.failure() == null ? new IllegalStateException() : ctx.failure(), null));
    return router;
  }

  private void onWorker(RoutingContext ctx, java.util.function.Supplier<JsonObject> body) {
    replies
        .onWorker(ctx, () -> java.util.concurrent.CompletableFuture.completedFuture(body.get()))
        .onSuccess(json -> Replies.json(ctx, 200, json))
        .onFailure(e -> Replies.fail(ctx, e, null));
  }

  private static void error(RoutingContext ctx, int status, String code, String message) {
    Replies.error(ctx, new ApiException(status, code, message, null));
  }

  /** Every /v1 call needs {@code Authorization: Bearer <token>} when a token is configured. */
  private void authenticate(RoutingContext ctx) {
    if (expectedAuth == null) {
      ctx.next();
      return;
    }
    String given = ctx.request().getHeader("authorization");
    if (given != null
        && MessageDigest.isEqual(expectedAuth, given.getBytes(StandardCharsets.UTF_8))) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("www-authenticate", "Bearer");
    Replies.error(
        ctx,
        new ApiException(
            401,
            "unauthorized",
            given == null
                ? "missing Authorization: Bearer <token>"
                : "the bearer token is not valid",
            "authorization"));
  }

  private void health(RoutingContext ctx) {
    Replies.json(
        ctx,
        200,
        new JsonObject()
            .put("status", "ok")
            .put("isolation", pool.stats().isolation())
            .put("leases", leases.size()));
  }

  private JsonObject poolStats() {
    PoolStats s = pool.stats();
    return new JsonObject()
        .put("isolation", s.isolation())
        .put("ready", new JsonObject(new TreeMap<String, Object>(s.ready())))
        .put("leased", new JsonObject(new TreeMap<String, Object>(s.leased())))
        .put("target", new JsonObject(new TreeMap<String, Object>(s.target())))
        .put("memory_bytes", pool.memoryBytes())
        .put("leases", leases.size());
  }

  private JsonObject templates() {
    Map<String, String> unavailable = pool.unavailableTemplates();
    JsonArray list = new JsonArray();
    catalog.all().stream()
        .sorted(Comparator.comparing(TemplateSpec::name))
        .forEach(
            t -> {
              JsonObject json =
                  new JsonObject()
                      .put("name", t.name())
                      .put("isolation", t.isolation())
                      .put(
                          "limits",
                          new JsonObject()
                              .put("memory_mb", t.limits().memoryBytes() >> 20)
                              .put("pids", t.limits().pids())
                              .put("cpu_millis", t.limits().cpuMillis())
                              .put("disk_mb", t.limits().diskBytes() >> 20))
                      .put("egress", t.egress().isNone() ? "none" : "allowlist")
                      .put(
                          "idle_timeout_s",
                          t.idleTimeout() == null ? null : t.idleTimeout().toSeconds())
                      .put(
                          "max_lifetime_s",
                          t.maxLifetime() == null ? null : t.maxLifetime().toSeconds())
                      .put("available", !unavailable.containsKey(t.name()));
              if (unavailable.containsKey(t.name())) {
                json.put("unavailable_reason", unavailable.get(t.name()));
              }
              list.add(json);
            });
    JsonObject levels =
        new JsonObject()
            .put("process", capabilities(new ProcessDriver().capabilities()))
            .put("namespace", capabilities(namespaceCapabilities()))
            .put("vm", capabilities(new VmDriver().capabilities()));
    return new JsonObject()
        .put("isolation", pool.stats().isolation())
        .put("capabilities", capabilities(pool.capabilities()))
        .put("levels", levels)
        .put("templates", list);
  }

  private static Capabilities namespaceCapabilities() {
    try {
      SandboxConfig d = SandboxConfig.defaults(java.nio.file.Path.of("/"));
      return new NamespaceDriver(d.bwrapPath(), d.tmpfsBytes(), isRoot()).capabilities();
    } catch (RuntimeException e) {
      return Capabilities.none(e.getMessage());
    }
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  static JsonObject capabilities(Capabilities c) {
    return new JsonObject()
        .put("pause", c.pause())
        .put("hibernate_workspace", c.hibernateWorkspace())
        .put("hibernate_process_state", c.hibernateProcessState())
        .put("network_policies", new JsonArray(c.networkPolicies()))
        .put("memory_limit", c.memoryLimit())
        .put("pids_limit", c.pidsLimit())
        .put("cpu_limit", c.cpuLimit())
        .put("disk_limit", c.diskLimit())
        .put("seccomp", c.seccomp())
        .put("notes", new JsonArray(c.notes()));
  }
}
