package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentfactory.cluster.pool.DrainStatus;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.edge.admin.DrainHandler;
import dev.agentfactory.edge.session.SessionHandler;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A drain does not wait out the resume grace of sessions whose client is gone: they end, and give
 * their lease back, as the drain starts or as their client goes; sessions with a client carry on.
 * Real sessions over real WebSockets on a real one-member cluster with real sandboxes. The resume
 * grace is ten minutes and the drain timeout 20 s: a drain that waited for the grace would end at
 * its timeout, not drained.
 */
class SessionDrainIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(20);

  private Vertx vertx;
  private OneMemberCluster cluster;
  private WarmPool pool;
  private SessionHandler sessions;
  private ClusterSessionEdge edge;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    cluster = new OneMemberCluster("af-session-drain-it", DRAIN_TIMEOUT, 2);
    pool = cluster.pool();
    edge =
        new ClusterSessionEdge(
            vertx,
            cluster,
            (router, handler) -> {
              DrainHandler drains = new DrainHandler(() -> pool, handler::endDetached);
              router.get("/v1/sessions/:id").handler(handler::resume);
              router
                  .post("/v1/admin/drain")
                  .handler(
                      ctx -> {
                        ctx.put("af.admin", true);
                        drains.drain(ctx);
                      });
            });
    sessions = edge.sessions;
  }

  @AfterEach
  void stop() throws Exception {
    if (edge != null) {
      edge.close();
    }
    cluster.close();
    SessionShutdownIT.await(vertx.close());
  }

  @Test
  void aSessionWhoseClientWentBeforeTheDrainEndsAndTheDrainCompletes() throws Exception {
    drainAfterTheClientLeft(FrameClient::abort); // no close frame: the session waits for a resume
  }

  @Test
  void aSessionWhoseClientClosedWithoutGoodbyeBeforeTheDrainEndsAndTheDrainCompletes()
      throws Exception {
    // a close frame with a status other than 1000 or 1001 (one with no status, as a browser's
    // close() without a code sends, reads as 1000): the session waits for a resume, as after a drop
    drainAfterTheClientLeft(client -> client.closeWith(4000));
  }

  @Test
  void aSessionWithAClientCarriesOnThroughTheDrainAndEndsWhenItsClientGoes() throws Exception {
    try (FrameClient stays = frames();
        FrameClient goes = frames()) {
      sessionId(stays);
      String id = sessionId(goes);
      leaseASandbox(stays);
      leaseASandbox(goes);

      assertThat(postDrain()).isEqualTo(202);
      // the drain's ending of detached sessions has run on every session's context: a ping
      // answered afterwards shows both sessions, with their clients, carry on
      ping(stays);
      ping(goes);
      assertThat(sessions.liveSessions()).isEqualTo(2);
      assertThat(pool.drainStatus().activeLeases()).isEqualTo(2);

      goes.abort();
      stays.close(); // status 1000: the session ends, as without a drain

      assertTheDrainCompletesWithEverySessionEnded(id);
    }
  }

  /** A client leases a sandbox and leaves as {@code leave} says; then the node drains. */
  private void drainAfterTheClientLeft(Consumer<FrameClient> leave) throws Exception {
    FrameClient client = frames();
    String id = sessionId(client);
    try {
      leaseASandbox(client);
    } finally {
      leave.accept(client);
    }

    assertThat(postDrain()).isEqualTo(202);

    assertTheDrainCompletesWithEverySessionEnded(id);
  }

  /**
   * The drain completes drained, not cut off by its timeout (which a lease kept for the resume
   * grace would need): every lease given back, every session ended, {@code detached} unresumable.
   */
  private void assertTheDrainCompletesWithEverySessionEnded(String detached) throws Exception {
    DrainStatus drained =
        pool.drain().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(drained.drained())
        .as("drained (not ended by the drain timeout): %s", drained)
        .isTrue();
    assertThat(drained.activeLeases()).isZero();
    assertThat(sessions.liveSessions()).isZero();
    assertThat(resumeStatus(detached)).isEqualTo(404);
  }

  private FrameClient frames() {
    return new FrameClient(edge.sessionsUri());
  }

  /** The id {@code session.ready} names. */
  private static String sessionId(FrameClient client) throws Exception {
    JsonNode ready = client.next(WAIT);
    assertThat(ready.get("type").asText()).as(ready.toString()).isEqualTo("session.ready");
    return ready.get("session_id").asText();
  }

  /** Runs a command, which leases the session's sandbox. */
  private static void leaseASandbox(FrameClient client) throws Exception {
    client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"x1\",\"command\":\"echo hi\"}");
    List<JsonNode> frames = client.until(f -> f.get("type").asText().equals("exec.exit"), WAIT);
    JsonNode leased = frames.get(0);
    assertThat(leased.get("type").asText()).as(frames.toString()).isEqualTo("sandbox.leased");
  }

  private static void ping(FrameClient client) throws Exception {
    client.send("{\"v\":1,\"type\":\"ping\",\"id\":\"p1\"}");
    assertThat(client.until(f -> f.get("type").asText().equals("pong"), WAIT)).isNotEmpty();
  }

  private int postDrain() throws Exception {
    return TestHttp.client()
        .send(
            HttpRequest.newBuilder(URI.create(base() + "/v1/admin/drain"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  /** What a resume of session {@code id} is answered (without an upgrade: 404 if it ended). */
  private int resumeStatus(String id) throws Exception {
    return TestHttp.client()
        .send(
            HttpRequest.newBuilder(URI.create(base() + "/v1/sessions/" + id + "?last_seq=0"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  private String base() {
    return "http://127.0.0.1:" + edge.server.actualPort();
  }
}
