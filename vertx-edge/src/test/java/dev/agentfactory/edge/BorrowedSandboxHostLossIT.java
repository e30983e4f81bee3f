package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.agentfactory.cluster.pool.NodeStock;
import io.vertx.core.Vertx;
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
  private ClusterSessionEdge edge;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    String name = "af-host-loss-it-" + UUID.randomUUID();
    host = new OneMemberCluster(name, Duration.ofSeconds(20), 1);
    borrower = new OneMemberCluster(name, Duration.ofSeconds(20), 0, "127.0.0.1:" + host.port());
    edge = new ClusterSessionEdge(vertx, borrower, (router, handler) -> {});
  }

  @AfterEach
  void stop() throws Exception {
    if (edge != null) {
      edge.close();
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
    try (FrameClient client = new FrameClient(edge.sessionsUri())) {
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

      // Which the session hears first is a race: the pool's "lease lost" (fatal, the session ends)
      // or the command's failure (sandbox_lost with its id; if that came first the session drops
      // the sandbox and carries on). Either way the command's own error is sandbox_lost.
      JsonNode first =
          FrameClient.last(
              client.until(
                  f ->
                      f.get("type").asText().equals("error")
                          && (f.get("fatal").asBoolean() || "c1".equals(f.get("id").asText())),
                  WAIT));
      if (!first.get("fatal").asBoolean()) {
        assertThat(first.get("code").asText()).as(first.toString()).isEqualTo("sandbox_lost");
        assertThat(first.get("message").asText()).doesNotContain("Exception");
        try {
          client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"c2\",\"command\":\"echo again\"}");
        } catch (java.util.concurrent.CompletionException closedFirst) {
          // the fatal error closed the socket before this was sent: it is among the frames
        }
        JsonNode next =
            FrameClient.last(
                client.until(
                    f ->
                        f.get("type").asText().equals("exec.exit")
                            || (f.get("type").asText().equals("error")
                                && f.get("fatal").asBoolean()),
                    WAIT));
        if (next.get("type").asText().equals("exec.exit")) {
          assertThat(next.get("exit_code").asInt()).as("the session carries on").isZero();
          return;
        }
        first = next;
      }
      assertThat(first.get("code").asText()).as(first.toString()).isEqualTo("sandbox_host_left");
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
