package dev.agentfactory.edge.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.cluster.ClusterConfig;
import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.ClusterNode;
import dev.agentfactory.cluster.pool.PoolConfig;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.edge.session.ClusterSandboxLeasing;
import dev.agentfactory.edge.session.LeasedSandbox;
import dev.agentfactory.sandbox.driver.Isolation;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The edge's drain endpoint and leasing on a real one-member cluster with real sandboxes. */
class ClusterDrainIT {

  private final HttpClient http = dev.agentfactory.edge.TestHttp.client();
  private Vertx vertx;
  private ClusterNode cluster;
  private LocalSandboxPool sandboxes;
  private WarmPool pool;
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    vertx = Vertx.vertx();
    cluster =
        ClusterNode.start(
            ClusterConfig.builder()
                .clusterName("af-drain-it")
                .port(port)
                .portAutoIncrement(false)
                .members(List.of("127.0.0.1:" + port))
                .pool(
                    PoolConfig.defaults()
                        .withAdvertiseInterval(Duration.ofMillis(100))
                        .withDrainTimeout(Duration.ofSeconds(30)))
                .build());
    sandboxes =
        new LocalSandboxPool(
            SandboxConfig.defaults(
                    Path.of(
                        System.getProperty("java.io.tmpdir"),
                        "af-it-drain",
                        "" + UUID.randomUUID()))
                .withIsolation(Isolation.PROCESS)
                .withWarmTarget("shell", 1));
    pool = cluster.pool(sandboxes);
    DrainHandler drains = new DrainHandler(() -> pool, () -> {});
    Router router = Router.router(vertx);
    router
        .route(HttpMethod.POST, "/v1/admin/drain")
        .handler(
            ctx -> {
              ctx.put("af.admin", true);
              drains.drain(ctx);
            });
    router
        .route(HttpMethod.GET, "/v1/admin/drain")
        .handler(
            ctx -> {
              ctx.put("af.admin", true);
              drains.status(ctx);
            });
    server =
        vertx
            .createHttpServer()
            .requestHandler(router)
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .join();
  }

  @AfterEach
  void stop() {
    server.close().toCompletionStage().toCompletableFuture().join();
    cluster.close();
    sandboxes.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  @Test
  void aDrainedNodeRefusesNewLeasesAndIsDrainedOnceItsSessionsEnd() throws Exception {
    ClusterSandboxLeasing leasing =
        new ClusterSandboxLeasing(vertx, pool, "process", cluster.nodeId());
    LeasedSandbox open = join(leasing.lease("s-1", "acme", "shell"));
    assertThat(open.node()).isEqualTo(cluster.nodeId());

    HttpResponse<String> accepted = send("POST");
    assertThat(accepted.statusCode()).isEqualTo(202);
    JsonObject status = new JsonObject(accepted.body());
    assertThat(status.getBoolean("draining")).isTrue();
    assertThat(status.getBoolean("drained")).isFalse();
    assertThat(status.getInteger("active_leases")).isEqualTo(1);

    try {
      join(leasing.lease("s-2", "acme", "shell"));
      throw new AssertionError("a draining node leased a sandbox");
    } catch (ClusterException e) {
      assertThat(e.code()).isEqualTo("pool.draining");
    }
    join(leasing.release(open));

    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> new JsonObject(send("GET").body()).getBoolean("drained"));
  }

  private HttpResponse<String> send(String method) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.actualPort() + "/v1/admin/drain"))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static <T> T join(io.vertx.core.Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }
}
