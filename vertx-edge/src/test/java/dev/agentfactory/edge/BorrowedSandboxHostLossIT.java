package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.agentfactory.cluster.pool.NodeStock;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.session.ClusterSandboxLeasing;
import dev.agentfactory.edge.session.SessionHandler;
import dev.agentfactory.edge.session.SessionSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A session whose sandbox is borrowed from another member, when that member dies under a running
 * command (its Hazelcast member terminated, as a SIGKILL of its node ends it): what the client sees
 * is what docs/operations.md ("What a client sees") says. Real sessions over real WebSockets, two
 * real members, real sandboxes. Checked by hand on two nodes first: the command's error came as
 * {@code exec_failed}, its message starting with a Java class name
 * ("dev.agentfactory.sandbox.SandboxException: sandbox … is lost: its host … left").
 */
class BorrowedSandboxHostLossIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  private Vertx vertx;
  private OneMemberCluster host;
  private OneMemberCluster borrower;
  private SessionHandler sessions;
  private HttpServer edge;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    String name = "af-host-loss-it-" + UUID.randomUUID();
    host = new OneMemberCluster(name, Duration.ofSeconds(20), 1);
    borrower = new OneMemberCluster(name, Duration.ofSeconds(20), 0, "127.0.0.1:" + host.port());
    sessions =
        new SessionHandler(
            vertx,
            new ClusterSandboxLeasing(vertx, borrower.pool(), "process", borrower.nodeId()),
            record -> Future.succeededFuture(),
            new SessionSettings(
                64 * 1024,
                Duration.ofMinutes(10),
                Duration.ZERO,
                Duration.ZERO,
                Duration.ofSeconds(30)),
            100,
            new EdgeMetrics(),
            null, // plain sessions: no agent is looked up
            null);
    Router router = Router.router(vertx);
    router.get("/v1/sessions").handler(sessions::open);
    edge =
        SessionShutdownIT.await(
            vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
  }

  @AfterEach
  void stop() throws Exception {
    if (edge != null) {
      SessionShutdownIT.await(edge.close());
    }
    if (sessions != null) {
      SessionShutdownIT.await(sessions.shutdown());
    }
    borrower.close();
    host.close();
    SessionShutdownIT.await(vertx.close());
  }

  @Test
  void aCommandRunningWhenItsSandboxesHostDiesFailsAsLostAndTheSessionEndsHostLeft()
      throws Exception {
    Awaitility.await("the host's warm sandbox is advertised to the borrower")
        .atMost(WAIT)
        .until(
            () -> {
              NodeStock stock = borrower.pool().stock().get(host.nodeId());
              return stock != null && stock.ready().getOrDefault("shell", 0) > 0;
            });
    try (FrameClient client =
        new FrameClient(URI.create("ws://127.0.0.1:" + edge.actualPort() + "/v1/sessions"))) {
      assertThat(client.next(WAIT).get("type").asText()).isEqualTo("session.ready");
      client.send(
          "{\"v\":1,\"type\":\"exec\",\"id\":\"c1\",\"command\":\"echo up; sleep 600\","
              + "\"timeout_ms\":600000}");
      List<JsonNode> started =
          client.until(
              f ->
                  f.get("type").asText().equals("exec.output")
                      && f.get("data").asText().contains("up"),
              WAIT);
      assertThat(started.get(0).get("type").asText()).isEqualTo("sandbox.leased");
      assertThat(started.get(0).get("node").asText()).as("borrowed").isEqualTo(host.nodeId());

      memberOf(host).getLifecycleService().terminate();

      List<JsonNode> ended =
          client.until(
              f -> f.get("type").asText().equals("error") && f.get("fatal").asBoolean(), WAIT);
      JsonNode fatal = ended.get(ended.size() - 1);
      assertThat(fatal.get("code").asText()).isEqualTo("sandbox_host_left");
      List<JsonNode> commandErrors =
          ended.stream()
              .filter(f -> f.get("type").asText().equals("error"))
              .filter(f -> "c1".equals(f.get("id").asText()))
              .toList();
      assertThat(commandErrors)
          .as("the command's own error, if it comes before the fatal one: %s", ended)
          .allSatisfy(
              e -> {
                assertThat(e.get("code").asText()).isEqualTo("sandbox_lost");
                assertThat(e.get("message").asText()).doesNotContain("Exception");
              });
      Awaitility.await("the socket closes 1011").atMost(WAIT).until(client::isClosedByServer);
      assertThat(client.closeCode()).isEqualTo(1011);
    }
  }

  /** The Hazelcast member of {@code node}, by its port. */
  private static HazelcastInstance memberOf(OneMemberCluster node) {
    return Hazelcast.getAllHazelcastInstances().stream()
        .filter(h -> h.getCluster().getLocalMember().getAddress().getPort() == node.port())
        .findFirst()
        .orElseThrow();
  }
}
