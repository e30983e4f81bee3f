package dev.agentfactory.edge.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.edge.OneMemberCluster;
import dev.agentfactory.edge.session.ClusterSandboxLeasing;
import dev.agentfactory.edge.session.LeasedSandbox;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The edge's drain endpoint and leasing on a real one-member cluster with real sandboxes. */
class ClusterDrainIT {

  private final HttpClient http = dev.agentfactory.edge.TestHttp.client();
  private Vertx vertx;
  private OneMemberCluster cluster;
  private WarmPool pool;
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    cluster = new OneMemberCluster("af-drain-it", Duration.ofSeconds(30), 1);
    pool = cluster.pool();
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
