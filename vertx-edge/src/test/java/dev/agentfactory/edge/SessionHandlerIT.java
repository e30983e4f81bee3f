package dev.agentfactory.edge;

import static dev.agentfactory.edge.FrameClient.last;
import static dev.agentfactory.edge.FrameClient.output;
import static dev.agentfactory.edge.FrameClient.types;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.connectors.event.TurnOutcome;
import dev.agentfactory.connectors.event.Usage;
import dev.agentfactory.edge.FakeModelServer.Step;
import dev.agentfactory.edge.agent.AgentRef;
import dev.agentfactory.edge.agent.AgentRegistry;
import dev.agentfactory.edge.agent.AgentSpec;
import dev.agentfactory.edge.agent.AgentSpecCodec;
import dev.agentfactory.edge.agent.AgentVersion;
import dev.agentfactory.edge.agent.Deployment;
import dev.agentfactory.edge.agent.JdbcAgentStore;
import dev.agentfactory.edge.agent.ModelProviders;
import dev.agentfactory.edge.api.ApiRouter;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.session.KafkaInteractionRecorder;
import dev.agentfactory.edge.session.SessionHandler;
import dev.agentfactory.edge.session.SessionSettings;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import dev.agentfactory.sandbox.template.TemplateParser;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a session does when its sandbox ends under it, who may open one (a draining node, the tenant
 * quota under concurrent opens), when a client that stops reading is cut off, and that an agent's
 * turn ends at its {@code max_wall_time} whatever it is doing. Real sessions over real WebSockets
 * on port 0, real bubblewrap sandboxes from a local pool; the model is the fake OpenAI-compatible
 * server.
 */
class SessionHandlerIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dataDir;
  private static Vertx vertx;
  private static LocalSandboxPool pool;
  private static FakeModelServer model;
  private static AgentRegistry registry;

  private LocalPoolLeasing leasing;
  private EdgeMetrics metrics;
  private SessionHandler sessions;
  private HttpServer edge;

  /** The interaction events the sessions recorded, in order. */
  private final List<Interaction> recorded = new CopyOnWriteArrayList<>();

  /** Completes once the edge has handed the test's first HTTP feedback to its session. */
  private CompletableFuture<Void> feedbackHandled;

  @BeforeAll
  static void startPool() throws Exception {
    Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx--x--x"));
    vertx = Vertx.vertx();
    Path workDir =
        Path.of(
            System.getProperty("java.io.tmpdir"),
            "af-it-sandboxes",
            "h-" + UUID.randomUUID().toString().substring(0, 8));
    // A shell the pool ends after 1 s without a command, as a template's idle_timeout_s does
    TemplateCatalog templates =
        TemplateCatalog.builtIn()
            .with(
                TemplateParser.parse(
                    "{\"name\":\"brief\",\"description\":\"shell ended when idle\","
                        + "\"idle_timeout_s\":1,\"warm_pool_size\":0,\"requires\":[\"/bin/sh\"]}"));
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir).withUidRange(377_200, 40).withWarmTarget("shell", 1),
            templates);
    model = new FakeModelServer(vertx);
    JdbcAgentStore store =
        SessionShutdownIT.await(
            JdbcAgentStore.open(vertx, JdbcAgentStore.embeddedUrl(dataDir), "", ""));
    registry = new AgentRegistry(store, Clock.systemUTC(), templates);
    String spec = model.runnerSpec();
    SessionShutdownIT.await(registry.create("default", new AgentSpecCodec().parseJson(spec)));
    String hurried =
        spec.replace("\"runner\"", "\"hurried\"")
            .replace("\"max_turns\":5", "\"max_turns\":5,\"max_wall_time_ms\":3000");
    SessionShutdownIT.await(registry.create("default", new AgentSpecCodec().parseJson(hurried)));
    String brief =
        spec.replace("\"runner\"", "\"brief\"")
            .replace("{\"template\":\"shell\"}", "{\"template\":\"brief\"}");
    SessionShutdownIT.await(registry.create("default", new AgentSpecCodec().parseJson(brief)));
    // an egress allowlist the shell template (no network) does not cover: no sandbox is leased.
    // The registry refuses to write such a spec, so it is stored as a version from before that.
    String fenced =
        spec.replace("\"runner\"", "\"fenced\"")
            .replace(
                "\"sandbox\":{",
                "\"network\":{\"egress\":[{\"host\":\"example.com\"}]},\"sandbox\":{");
    AgentSpec fencedSpec = new AgentSpecCodec().parseJson(fenced);
    AgentRef fencedRef = AgentRef.of("fenced");
    Instant now = Instant.now();
    SessionShutdownIT.await(
        store.create(
            new AgentVersion(
                fencedRef, 1, new AgentSpecCodec().contentHash(fencedSpec), fencedSpec, now),
            new Deployment(fencedRef, 1, Optional.empty(), OptionalInt.empty(), 1, now)));
  }

  @AfterAll
  static void stopPool() throws Exception {
    if (pool != null) {
      pool.close();
    }
    if (vertx != null) {
      SessionShutdownIT.await(vertx.close());
    }
  }

  @AfterEach
  void stopEdge() throws Exception {
    if (sessions != null) {
      SessionShutdownIT.await(sessions.shutdown());
    }
    if (edge != null) {
      SessionShutdownIT.await(edge.close());
    }
    if (leasing != null) {
      leasing.closeAll();
    }
  }

  /** The pool's sweeper ends a leased sandbox at its template's max lifetime or idle timeout. */
  @Test
  void aSandboxThePoolEndedIsReplacedByTheNextCommandAndTheSessionLivesOn() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    try (FrameClient client = open("/v1/sessions")) {
      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"x1\",\"command\":\"echo one\"}");
      client.until(f -> f.get("type").asText().equals("exec.exit"), WAIT);
      Sandbox first = leasing.leased().get(0);

      first.close(); // what the sweeper does (LocalSandbox.closeWith, reason max_lifetime)

      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"x2\",\"command\":\"echo two\"}");
      List<JsonNode> frames = client.until(f -> f.get("type").asText().equals("exec.exit"), WAIT);
      JsonNode lost = frames.get(0);
      assertThat(lost.get("type").asText()).as(frames.toString()).isEqualTo("error");
      assertThat(lost.get("code").asText()).isEqualTo("sandbox_lost");
      assertThat(lost.get("fatal").asBoolean()).isFalse();
      assertThat(lost.get("message").asText()).contains(first.id());
      assertThat(frames.get(1).get("type").asText()).isEqualTo("sandbox.leased");
      assertThat(frames.get(1).get("sandbox_id").asText()).isNotEqualTo(first.id());
      assertThat(output(frames, "x2")).isEqualTo("two\n");
      assertThat(frames.get(frames.size() - 1).get("exit_code").asInt()).isZero();
      assertThat(eventually(() -> leasing.released().contains(first)))
          .as("the dead sandbox's lease was given back")
          .isTrue();
    }
  }

  /**
   * Init killed from outside (as the kernel's OOM killer would) while the session idles: the client
   * hears of it at once, without sending anything, and its next command gets a fresh sandbox.
   */
  @Test
  void anIdleSessionIsToldAtOnceThatItsSandboxDied() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    try (FrameClient client = open("/v1/sessions")) {
      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"x1\",\"command\":\"id -u\"}");
      List<JsonNode> ran = client.until(f -> f.get("type").asText().equals("exec.exit"), WAIT);
      Sandbox first = leasing.leased().get(0);
      int uid = Integer.parseInt(output(ran, "x1").trim());
      // only where each sandbox has a uid of its own (the pool runs as root), never the test's own
      assumeThat(uid).isNotEqualTo(ownUid());

      assertThat(killEveryProcessOf(uid)).as("processes of sandbox uid %s", uid).isPositive();

      JsonNode lost = client.next(WAIT); // sent nothing since x1's exit
      assertThat(lost.get("type").asText()).as(lost.toString()).isEqualTo("error");
      assertThat(lost.get("code").asText()).isEqualTo("sandbox_lost");
      assertThat(lost.get("fatal").asBoolean()).isFalse();
      assertThat(lost.get("id").isNull()).as(lost.toString()).isTrue();
      assertThat(lost.get("message").asText()).contains(first.id()).contains("died");
      assertThat(eventually(() -> leasing.released().contains(first)))
          .as("the dead sandbox's lease was given back")
          .isTrue();

      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"x2\",\"command\":\"echo two\"}");
      List<JsonNode> frames = client.until(f -> f.get("type").asText().equals("exec.exit"), WAIT);
      assertThat(frames.get(0).get("type").asText())
          .as(frames.toString())
          .isEqualTo("sandbox.leased");
      assertThat(frames.get(0).get("sandbox_id").asText()).isNotEqualTo(first.id());
      assertThat(output(frames, "x2")).isEqualTo("two\n");
      assertThat(last(frames).get("exit_code").asInt()).isZero();
      assertOneSandboxLost(client);
    }
  }

  /**
   * The pool's sweeper ends an agent's sandbox at its template's {@code idle_timeout_s} while the
   * session waits for the next message: the client is told then, and the next tool call leases
   * anew.
   */
  @Test
  void anIdleSessionIsToldAtOnceThatThePoolEndedItsSandbox() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    model.script(Step.call("sandbox_exec", "{\"command\":\"echo one\"}"), Step.answer("ran it"));
    try (FrameClient client = open("/v1/sessions?agent=brief")) {
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"run it\"}");
      List<JsonNode> frames = new ArrayList<>(client.until(FrameClient::endsATurn, WAIT));
      assertThat(last(frames).get("type").asText())
          .as(frames.toString())
          .isEqualTo("turn.completed");
      Sandbox first = leasing.leased().get(0);

      // nothing sent: the pool ends the sandbox 1-2 s after its last command
      if (frames.stream().noneMatch(SessionHandlerIT::isSandboxLost)) {
        frames.addAll(client.until(SessionHandlerIT::isSandboxLost, WAIT));
      }
      JsonNode lost = frames.stream().filter(SessionHandlerIT::isSandboxLost).findFirst().get();
      assertThat(lost.get("fatal").asBoolean()).isFalse();
      assertThat(lost.get("id").isNull()).as(lost.toString()).isTrue();
      assertThat(lost.get("message").asText()).contains(first.id()).contains("idle_timeout");
      assertThat(eventually(() -> leasing.released().contains(first))).isTrue();

      model.script(
          Step.call("sandbox_exec", "{\"command\":\"echo two\"}"), Step.answer("ran it again"));
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q2\",\"content\":\"again\"}");
      List<JsonNode> again = client.until(FrameClient::endsATurn, WAIT);
      assertThat(last(again).get("type").asText()).as(again.toString()).isEqualTo("turn.completed");
      JsonNode leased =
          again.stream()
              .filter(f -> f.get("type").asText().equals("sandbox.leased"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no new sandbox.leased in " + again));
      assertThat(leased.get("sandbox_id").asText()).isNotEqualTo(first.id());
      assertThat(
              again.stream()
                  .filter(f -> f.get("type").asText().equals("tool.output"))
                  .map(f -> f.get("data").asText()))
          .containsExactly("two\n");
      assertThat(again).noneMatch(SessionHandlerIT::isSandboxLost);
    }
  }

  /** A sandbox the session gives back itself (it ends) is never reported lost. */
  @Test
  void aSandboxReleasedAtTheSessionsEndIsNotReportedLost() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    try (FrameClient client = open("/v1/sessions")) {
      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"x1\",\"command\":\"echo one\"}");
      client.until(f -> f.get("type").asText().equals("exec.exit"), WAIT);
    }
    Sandbox first = leasing.leased().get(0);
    assertThat(eventually(() -> leasing.released().contains(first))).isTrue();
    assertThat(first.whenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .isEqualTo("closed");
    // the session counts the end once its context has handled it (a hop after the termination)
    assertThat(eventually(() -> metrics.scrape().contains("af_session_sandbox_ends_total{")))
        .as("the session handled its sandbox's end")
        .isTrue();
    assertThat(metrics.scrape())
        .contains("af_session_sandbox_ends_total{lost=\"false\"} 1.0")
        .doesNotContain("af_session_sandbox_ends_total{lost=\"true\"}")
        .doesNotContain("code=\"sandbox_lost\"");
  }

  /** Init dying (OOM, a crash) or the pool ending the sandbox while a command runs in it. */
  @Test
  void aSandboxThatEndsUnderACommandFailsItWithSandboxLostAndTheNextCommandWorks()
      throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    try (FrameClient client = open("/v1/sessions")) {
      client.send(
          "{\"v\":1,\"type\":\"exec\",\"id\":\"x1\",\"command\":\"echo started; sleep 600\"}");
      client.until(f -> f.get("type").asText().equals("exec.output"), WAIT);
      Sandbox first = leasing.leased().get(0);

      first.close();

      JsonNode lost = last(client.until(f -> f.get("type").asText().equals("error"), WAIT));
      assertThat(lost.get("code").asText()).as(lost.toString()).isEqualTo("sandbox_lost");
      assertThat(lost.get("id").asText()).isEqualTo("x1");
      assertThat(lost.get("fatal").asBoolean()).isFalse();

      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"x2\",\"command\":\"echo two\"}");
      List<JsonNode> frames = client.until(f -> f.get("type").asText().equals("exec.exit"), WAIT);
      assertThat(frames.get(0).get("type").asText()).isEqualTo("sandbox.leased");
      assertThat(output(frames, "x2")).isEqualTo("two\n");
      assertThat(client.isClosedByServer()).isFalse();
    }
  }

  @Test
  void aDrainingNodeRefusesNewSessionsWithATyped503() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    try (FrameClient before = open("/v1/sessions")) {
      leasing.draining(true);

      HttpResponse<String> refused =
          TestHttp.client()
              .send(
                  HttpRequest.newBuilder(URI.create(base() + "/v1/sessions")).GET().build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(JSON.readTree(refused.body()).at("/error/code").asText())
          .isEqualTo("node_draining");
      // not "later, here": another node
      assertThat(refused.headers().firstValue("retry-after")).isEmpty();
      assertThat(handshakeStatus(connect("/v1/sessions"))).isEqualTo(503);

      // A session opened before the drain carries on
      before.send("{\"v\":1,\"type\":\"ping\",\"id\":\"p1\"}");
      assertThat(before.next(WAIT).get("type").asText()).isEqualTo("pong");
    }
  }

  @Test
  void concurrentOpensNeverExceedTheTenantQuota() throws Exception {
    int quota = 2;
    startEdge(quota, Duration.ofSeconds(30));
    List<CompletableFuture<WebSocket>> opens = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      // agent sessions: the agent lookup is asynchronous, the window the quota check raced with
      opens.add(connect("/v1/sessions?agent=runner"));
    }
    List<WebSocket> accepted = new ArrayList<>();
    int refused429 = 0;
    for (CompletableFuture<WebSocket> open : opens) {
      int status = handshakeStatus(open);
      if (status == 101) {
        accepted.add(open.join());
      } else if (status == 429) {
        refused429++;
      }
    }
    assertThat(accepted).hasSize(quota);
    assertThat(refused429).isEqualTo(12 - quota);
    assertThat(sessions.liveSessions()).isEqualTo(quota);

    // Opens that fail before the upgrade give their slot back
    for (WebSocket ws : accepted) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
    }
    assertThat(eventually(() -> sessions.liveSessions() == 0)).isTrue();
    for (int i = 0; i < 3; i++) {
      assertThat(handshakeStatus(connect("/v1/sessions?agent=no-such-agent"))).isEqualTo(404);
    }
    try (FrameClient one = open("/v1/sessions?agent=runner");
        FrameClient two = open("/v1/sessions?agent=runner")) {
      assertThat(sessions.liveSessions()).isEqualTo(quota);
    }
  }

  /**
   * The client stops reading while its agent streams: the loop pauses the model stream and nothing
   * more is sent, so only a timer can cut the client off.
   */
  @Test
  void anAgentSessionsClientThatStopsReadingIsDisconnectedWith4008AndTheSessionLives()
      throws Exception {
    startEdge(100, Duration.ofSeconds(3));
    // ~6 MB of tool.output frames (each NUL byte is written as \u0000), more than the socket
    // buffers hold, then the answer, which the loop streams into the full queue and pauses
    model.script(
        Step.call("sandbox_exec", "{\"command\":\"head -c 1048576 /dev/zero\"}"),
        Step.answer("done"));
    try (RawWebSocket client =
        new RawWebSocket(edge.actualPort(), "/v1/sessions?agent=runner", 8 * 1024)) {
      assertThat(client.nextText().get("type").asText()).isEqualTo("session.ready");
      client.sendText("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"run it\"}");
      // ...and reads nothing more until the node gave up on it

      assertThat(eventually(() -> metrics.scrape().contains("code=\"slow_consumer\"")))
          .as("the node cut the client off")
          .isTrue();
      client.awaitCloseFrame();
      assertThat(client.closeCode()).isEqualTo(4008);
      assertThat(sessions.liveSessions()).as("kept for a resume").isEqualTo(1);
    }
  }

  /**
   * A half-open connection: the client reads nothing, its socket backs up and the agent's model
   * stream pauses on it. The client reconnects while that socket is still attached. What the paused
   * stream had buffered (the rest of the answer, and turn.completed) follows the missed frames on
   * the new connection: no seq is skipped.
   */
  @Test
  void aResumeWhileTheModelStreamWaitsForTheOldSocketLosesNoFrame() throws Exception {
    // A small send buffer, so ~1 MB of tool output backs the socket up and still fits the replay
    // buffer; no slow-client cut-off while the test runs
    startEdge(100, Duration.ofMinutes(10), new HttpServerOptions().setSendBufferSize(16 * 1024));
    model.script(
        Step.call("sandbox_exec", "{\"command\":\"yes 0123456789abcdef | head -c 1048576\"}"),
        Step.answer("done"));
    try (RawWebSocket stalled =
        new RawWebSocket(edge.actualPort(), "/v1/sessions?agent=runner", 8 * 1024)) {
      JsonNode ready = stalled.nextText();
      String id = ready.get("session_id").asText();
      long seen = ready.get("seq").asLong();
      stalled.sendText("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"run it\"}");
      // ...and reads nothing more: the answer's text goes into the full queue, the stream pauses
      assertThat(eventually(() -> framesSent("assistant.delta") == 1)).isTrue();

      try (FrameClient resumed =
          new FrameClient(
              URI.create(
                  "ws://127.0.0.1:"
                      + edge.actualPort()
                      + "/v1/sessions/"
                      + id
                      + "?last_seq="
                      + seen))) {
        // The pong comes after every frame sent before it: without a gap up to it, and
        // turn.completed before it or (once the replayed frames drained) after it
        resumed.send("{\"v\":1,\"type\":\"ping\",\"id\":\"p1\"}");
        List<JsonNode> frames =
            new ArrayList<>(resumed.until(f -> f.get("type").asText().equals("pong"), WAIT));
        assertNoSeqGap(frames, seen);
        if (!types(frames).contains("turn.completed")) {
          frames.addAll(resumed.until(f -> f.get("type").asText().equals("turn.completed"), WAIT));
        }
        assertNoSeqGap(frames, seen);
        assertThat(types(frames)).containsSubsequence("tool.result", "assistant.delta");
        assertThat(types(frames)).containsOnlyOnce("turn.completed");
      }

      // The scenario really was a paused stream: turn.completed never went to the old socket
      List<String> old = new ArrayList<>();
      try {
        while (true) {
          old.add(stalled.nextText().get("type").asText());
        }
      } catch (java.io.IOException closed) {
        assertThat(stalled.closeCode()).as(closed.toString()).isEqualTo(4000);
      }
      assertThat(old).contains("assistant.delta").doesNotContain("turn.completed");
    }
  }

  /**
   * Reads the session's id and sends it message q1, whose model answer waits for {@code answer};
   * returns the id once the model was asked.
   */
  private String startHeldTurn(FrameClient client, CompletableFuture<Void> answer)
      throws Exception {
    model.script(Step.held(answer, Step.answer("forty-two")));
    int asked = model.requests().size();
    String id = client.next(WAIT).get("session_id").asText();
    client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"6*7?\"}");
    assertThat(eventually(() -> model.requests().size() > asked))
        .as("the turn runs, the model's answer held back")
        .isTrue();
    return id;
  }

  /** Posts {@code body} as feedback and checks the 400 invalid_field that names {@code field}. */
  private void assertRefusedNaming(String sessionId, String body, String field) throws Exception {
    HttpResponse<String> refused =
        TestHttp.client()
            .send(
                HttpRequest.newBuilder(
                        URI.create(base() + "/v1/sessions/" + sessionId + "/feedback"))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
    JsonNode error = JSON.readTree(refused.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("invalid_field");
    assertThat(error.get("field").asText()).isEqualTo(field);
  }

  /** {@code POST /v1/sessions/{id}/feedback} rating turn q1 up. */
  private HttpRequest ratingOfQ1(String sessionId) {
    return HttpRequest.newBuilder(URI.create(base() + "/v1/sessions/" + sessionId + "/feedback"))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"turn_id\":\"q1\",\"rating\":\"up\"}"))
        .build();
  }

  /**
   * Feedback posted over HTTP while the turn it rates still runs waits for that turn, as the
   * feedback frame does, instead of answering 404 unknown_turn.
   */
  @Test
  void httpFeedbackOnATurnStillRunningIsAnsweredOnceTheTurnIsRecorded() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    CompletableFuture<Void> answer = new CompletableFuture<>();
    try (FrameClient client = frames("/v1/sessions?agent=runner")) {
      String id = startHeldTurn(client, answer);

      CompletableFuture<HttpResponse<String>> posted =
          TestHttp.client().sendAsync(ratingOfQ1(id), HttpResponse.BodyHandlers.ofString());
      feedbackHandled.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      answer.complete(null); // the turn ends after its session has the feedback

      HttpResponse<String> response = posted.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
      assertThat(JSON.readTree(response.body()).get("turn_id").asText()).isEqualTo("q1");
      assertThat(last(client.until(FrameClient::endsATurn, WAIT)).get("type").asText())
          .isEqualTo("turn.completed");
    }
  }

  /**
   * Feedback over HTTP queues behind the session's work like a frame, so it meets the same bound:
   * with 16 requests waiting behind a running turn it is refused with 429 {@code too_many_pending}
   * and a retry delay, as docs/protocol.md and the contract say.
   */
  @Test
  void httpFeedbackBehindAFullQueueIsRefusedWith429AsTheContractSays() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    CompletableFuture<Void> answer = new CompletableFuture<>();
    try (FrameClient client = frames("/v1/sessions?agent=runner")) {
      String id = startHeldTurn(client, answer);
      for (int i = 0; i < 16; i++) {
        client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"c" + i + "\",\"command\":\"true\"}");
      }
      // answered at once, after the session took the 16 commands before it
      client.send("{\"v\":1,\"type\":\"ping\",\"id\":\"p1\"}");
      client.until(f -> f.get("type").asText().equals("pong"), WAIT);

      HttpResponse<String> refused =
          TestHttp.client().send(ratingOfQ1(id), HttpResponse.BodyHandlers.ofString());
      answer.complete(null);

      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
      JsonNode error = JSON.readTree(refused.body()).get("error");
      assertThat(error.get("code").asText()).isEqualTo("too_many_pending");
      assertThat(error.get("retry_after_ms").asLong()).isPositive();
      assertThat(refused.headers().firstValue("retry-after")).isPresent();
      assertThat(
              JSON.readTree(ApiRouter.contractText())
                  .at("/paths/~1v1~1sessions~1{id}~1feedback/post/responses")
                  .has("429"))
          .as("the contract lists the 429 the feedback route answers")
          .isTrue();
    }
  }

  /**
   * A NUL character (JSON can escape one) cannot be in a process argument. Such a command leased a
   * sandbox and then failed as {@code exec_failed}, "the sandbox could not run the command"; it is
   * the frame's fault, so it is {@code invalid_field} naming the argument, and leases nothing.
   */
  @Test
  void aCommandWithANulCharacterIsRefusedNamingTheFieldAndLeasesNoSandbox() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    try (FrameClient client = open("/v1/sessions")) {
      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"n1\",\"command\":\"echo a\\u0000b\"}");
      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"n2\",\"argv\":[\"echo\",\"a\\u0000\"]}");
      JsonNode command = client.next(WAIT);
      JsonNode argv = client.next(WAIT);

      assertThat(command.get("type").asText()).as(command.toString()).isEqualTo("error");
      assertThat(command.get("code").asText()).isEqualTo("invalid_field");
      assertThat(command.get("field").asText()).isEqualTo("command");
      assertThat(command.get("id").asText()).isEqualTo("n1");
      assertThat(argv.get("code").asText()).as(argv.toString()).isEqualTo("invalid_field");
      assertThat(argv.get("field").asText()).isEqualTo("argv[1]");
      assertThat(leasing.leased()).isEmpty();

      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"n3\",\"command\":\"echo ok\"}");
      List<JsonNode> frames = client.until(f -> f.get("type").asText().equals("exec.exit"), WAIT);
      assertThat(output(frames, "n3")).isEqualTo("ok\n");
    }
  }

  /**
   * The feedback route takes the feedback frame's fields, and refuses what the frame refuses: a
   * comment with half a surrogate pair was recorded, reaching Kafka with '?' in its place.
   */
  @Test
  void httpFeedbackWithALoneSurrogateOrARepeatedFieldIsRefusedAsTheFrameIs() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    try (FrameClient client = frames("/v1/sessions")) {
      String id = client.next(WAIT).get("session_id").asText();
      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"c1\",\"command\":\"echo hi\"}");
      client.until(f -> f.get("type").asText().equals("exec.exit"), WAIT);
      assertThat(eventually(() -> recorded.size() == 1)).isTrue();

      // a lone surrogate, and a field given twice (readers disagree on which value wins)
      assertRefusedNaming(id, "{\"turn_id\":\"c1\",\"comment\":\"fine \\ud800\"}", "comment");
      assertRefusedNaming(
          id, "{\"turn_id\":\"c1\",\"rating\":\"up\",\"rating\":\"down\"}", "rating");
      // the session carries on, and nothing was recorded of the refused feedback
      client.send("{\"v\":1,\"type\":\"ping\",\"id\":\"p1\"}");
      client.until(f -> f.get("type").asText().equals("pong"), WAIT);
      assertThat(recorded).hasSize(1);
    }
  }

  /**
   * docs/protocol.md: "up to 16 may wait behind the running one (more get too_many_pending)". The
   * running turn is not one of the 16: all 16 commands sent behind it are taken, the 17th is not.
   */
  @Test
  void sixteenCommandsMayWaitBehindTheRunningTurnAndTheSeventeenthIsRefused() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    CompletableFuture<Void> answer = new CompletableFuture<>();
    try (FrameClient client = frames("/v1/sessions?agent=runner")) {
      startHeldTurn(client, answer);
      for (int i = 0; i < 17; i++) {
        client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"c" + i + "\",\"command\":\"true\"}");
      }
      client.send("{\"v\":1,\"type\":\"ping\",\"id\":\"p1\"}");
      List<JsonNode> frames = client.until(f -> f.get("type").asText().equals("pong"), WAIT);
      answer.complete(null);

      List<String> refused =
          frames.stream()
              .filter(f -> f.get("type").asText().equals("error"))
              .map(f -> f.get("id").asText() + ":" + f.get("code").asText())
              .toList();
      assertThat(refused).containsExactly("c16:too_many_pending");
      client.until(
          f -> f.get("type").asText().equals("exec.exit") && f.get("id").asText().equals("c15"),
          WAIT);
    }
  }

  /**
   * A turn that hits a limit is an interaction all the same: its event says how it ended and has
   * the tool calls it ran and the tokens it used.
   */
  @Test
  void aTurnThatHitsALimitIsRecordedWithItsOutcomeToolCallsAndUsage() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    // runner's max_turns is 5: each of its 5 model calls asks for one more command
    for (int i = 0; i < 5; i++) {
      model.script(Step.call("sandbox_exec", "{\"command\":\"echo " + i + "\"}"));
    }
    try (FrameClient client = open("/v1/sessions?agent=runner")) {
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"loop\"}");
      JsonNode end = last(client.until(FrameClient::endsATurn, WAIT));
      assertThat(end.get("code").asText()).as(end.toString()).isEqualTo("limit_exceeded");
      // the session records a turn before it answers what the client sends next
      client.send("{\"v\":1,\"type\":\"ping\",\"id\":\"p1\"}");
      client.until(f -> f.get("type").asText().equals("pong"), WAIT);

      assertThat(recorded).hasSize(1);
      Interaction event = recorded.get(0);
      assertThat(event.outcome()).isEqualTo(TurnOutcome.LIMIT_EXCEEDED);
      assertThat(event.isCompleted()).isFalse();
      assertThat(event.messages()).first().extracting(m -> m.content()).isEqualTo("loop");
      assertThat(event.toolCalls())
          .extracting(c -> c.output())
          .containsExactly("0\n", "1\n", "2\n", "3\n", "4\n");
      assertThat(event.toolCalls()).extracting(c -> c.status()).containsOnly(ToolCallStatus.OK);
      assertThat(event.usage()).contains(new Usage(50, 25));
      assertThat(event.model()).contains("fake-model");
    }
  }

  /** Sends message q1, waits until its turn completes and returns the turn's tool.result frames. */
  private static List<JsonNode> toolResultsOfATurn(FrameClient client) throws Exception {
    client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"run it\"}");
    List<JsonNode> frames = client.until(FrameClient::endsATurn, WAIT);
    assertThat(last(frames).get("type").asText()).as(frames.toString()).isEqualTo("turn.completed");
    return frames.stream().filter(f -> f.get("type").asText().equals("tool.result")).toList();
  }

  /**
   * A command that never ran (arguments without a command, no sandbox to run it in) is no command
   * that exited -1: the client and the interaction event see status not_run and no exit code.
   */
  @Test
  void aCommandThatNeverRanHasNoExitCodeInItsFrameOrItsEvent() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    model.script(
        Step.call("sandbox_exec", "{\"timeout_ms\":1000}"),
        Step.call("sandbox_exec", "{\"command\":\"echo hi\"}"),
        Step.answer("nothing ran"));
    try (FrameClient client = open("/v1/sessions?agent=fenced")) {
      List<JsonNode> results = toolResultsOfATurn(client);
      assertThat(results).as(results.toString()).hasSize(2);
      assertThat(results).extracting(f -> f.get("status").asText()).containsOnly("not_run");
      assertThat(results).allMatch(f -> f.get("exit_code").isNull(), "exit_code is null");
      assertThat(results).allMatch(f -> f.get("is_error").asBoolean(), "is_error");
      assertThat(leasing.leased()).as("no sandbox was leased").isEmpty();
      // the session records a turn before it answers what the client sends next
      client.send("{\"v\":1,\"type\":\"ping\",\"id\":\"p1\"}");
      client.until(f -> f.get("type").asText().equals("pong"), WAIT);

      assertThat(recorded).hasSize(1);
      List<ToolCall> calls = recorded.get(0).toolCalls();
      assertThat(calls).extracting(ToolCall::exitCode).containsExactly(null, null);
      assertThat(calls)
          .extracting(ToolCall::status)
          .containsExactly(ToolCallStatus.NOT_RUN, ToolCallStatus.NOT_RUN);
      assertThat(calls.get(0).output()).contains("command");
      assertThat(calls.get(1).output()).contains("no sandbox could be leased");
    }
  }

  /**
   * A model's command with a NUL character cannot be a process argument: it is answered as not run,
   * before any sandbox is leased (it leased one and failed before), as a client's exec is refused.
   */
  @Test
  void aModelsCommandWithANulCharacterIsNotRunAndLeasesNoSandbox() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    model.script(
        Step.call("sandbox_exec", "{\"command\":\"echo a\\u0000b\"}"),
        Step.answer("it did not run"));
    try (FrameClient client = open("/v1/sessions?agent=runner")) {
      List<JsonNode> results = toolResultsOfATurn(client);
      assertThat(results).as(results.toString()).hasSize(1);
      assertThat(results.get(0).get("status").asText()).isEqualTo("not_run");
      assertThat(results.get(0).get("exit_code").isNull()).isTrue();
      assertThat(leasing.leased()).as("no sandbox was leased").isEmpty();
      client.send("{\"v\":1,\"type\":\"ping\",\"id\":\"p1\"}");
      client.until(f -> f.get("type").asText().equals("pong"), WAIT);
      assertThat(recorded).hasSize(1);
      assertThat(recorded.get(0).toolCalls().get(0).output()).contains("NUL");
    }
  }

  /** Token usage the model server did not report is unknown, not 0, in turn.completed too. */
  @Test
  void turnCompletedHasNoTokenCountsWhenTheModelServerReportedNone() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    model.script(Step.answer("counted"), Step.answer("not counted"));
    try (FrameClient client = open("/v1/sessions?agent=runner")) {
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"one\"}");
      JsonNode reported = last(client.until(FrameClient::endsATurn, WAIT));
      model.reportsUsage(false);
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q2\",\"content\":\"two\"}");
      JsonNode unreported = last(client.until(FrameClient::endsATurn, WAIT));

      assertThat(reported.get("type").asText()).as(reported.toString()).isEqualTo("turn.completed");
      assertThat(reported.get("prompt_tokens").asInt()).isEqualTo(10);
      assertThat(reported.get("completion_tokens").asInt()).isEqualTo(5);
      assertThat(unreported.get("type").asText())
          .as(unreported.toString())
          .isEqualTo("turn.completed");
      assertThat(unreported.get("prompt_tokens").isNull()).as(unreported.toString()).isTrue();
      assertThat(unreported.get("completion_tokens").isNull()).as(unreported.toString()).isTrue();
    } finally {
      model.reportsUsage(true);
    }
  }

  @Test
  void anAgentsCommandIsStoppedAtTheTurnsMaxWallTime() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    // no answer scripted after the call: the turn must not call the model again
    model.script(Step.call("sandbox_exec", "{\"command\":\"sleep 30\"}"));
    try (FrameClient client = open("/v1/sessions?agent=hurried")) {
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"wait\"}");
      List<JsonNode> frames = client.until(FrameClient::endsATurn, WAIT);

      JsonNode result =
          frames.stream()
              .filter(f -> f.get("type").asText().equals("tool.result"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no tool.result in " + frames));
      assertThat(result.get("status").asText()).as("killed at the deadline").isEqualTo("timeout");
      JsonNode end = last(frames);
      assertThat(end.get("code").asText()).as(end.toString()).isEqualTo("limit_exceeded");
      assertThat(end.get("message").asText()).contains("max_wall_time");
    }
  }

  @Test
  void aModelStillStreamingAtTheTurnsMaxWallTimeIsCutOffAndTheSessionCarriesOn() throws Exception {
    startEdge(100, Duration.ofSeconds(30));
    model.script(Step.hang("thinking"));
    try (FrameClient client = open("/v1/sessions?agent=hurried")) {
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"hi\"}");
      List<JsonNode> frames = client.until(FrameClient::endsATurn, WAIT);

      assertThat(frames.get(0).get("type").asText()).isEqualTo("assistant.delta");
      JsonNode end = last(frames);
      assertThat(end.get("code").asText()).as(end.toString()).isEqualTo("limit_exceeded");
      assertThat(end.get("fatal").asBoolean()).isFalse();

      model.script(Step.answer("hello again"));
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q2\",\"content\":\"hi\"}");
      assertThat(last(client.until(FrameClient::endsATurn, WAIT)).get("type").asText())
          .isEqualTo("turn.completed");
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** How many frames of {@code type} the node has sent, by its metrics. */
  private double framesSent(String type) {
    String series = "af_frames_sent_total{type=\"" + type + "\"} ";
    return metrics
        .scrape()
        .lines()
        .filter(line -> line.startsWith(series))
        .mapToDouble(line -> Double.parseDouble(line.substring(series.length()).trim()))
        .sum();
  }

  /** The frames are numbered {@code seen + 1}, {@code seen + 2}, … */
  private static void assertNoSeqGap(List<JsonNode> frames, long seen) {
    for (int i = 0; i < frames.size(); i++) {
      assertThat(frames.get(i).get("seq").asLong())
          .as("seq of frame %s in %s", i, types(frames))
          .isEqualTo(seen + 1 + i);
    }
  }

  private void startEdge(int quota, Duration slowClient) throws Exception {
    startEdge(quota, slowClient, new HttpServerOptions());
  }

  private void startEdge(int quota, Duration slowClient, HttpServerOptions options)
      throws Exception {
    model.clearScript();
    metrics = new EdgeMetrics();
    leasing = new LocalPoolLeasing(vertx, pool);
    sessions =
        new SessionHandler(
            vertx,
            leasing,
            record -> {
              recorded.add(KafkaInteractionRecorder.toEvent(record));
              return Future.succeededFuture();
            },
            new SessionSettings(
                64 * 1024, Duration.ofSeconds(30), Duration.ZERO, Duration.ZERO, slowClient),
            quota,
            metrics,
            registry,
            new ModelProviders(vertx));
    Router router = Router.router(vertx);
    router.get("/v1/sessions").handler(sessions::open);
    router.get("/v1/sessions/:id").handler(sessions::resume);
    CompletableFuture<Void> handled = new CompletableFuture<>();
    feedbackHandled = handled;
    router
        .post("/v1/sessions/:id/feedback")
        .handler(BodyHandler.create(false))
        .handler(
            ctx -> {
              sessions.feedback(ctx);
              handled.complete(null);
            });
    edge =
        SessionShutdownIT.await(
            vertx.createHttpServer(options).requestHandler(router).listen(0, "127.0.0.1"));
  }

  private String base() {
    return "http://127.0.0.1:" + edge.actualPort();
  }

  private FrameClient frames(String path) throws Exception {
    return new FrameClient(URI.create("ws://127.0.0.1:" + edge.actualPort() + path));
  }

  private FrameClient open(String path) throws Exception {
    FrameClient client = frames(path);
    JsonNode ready = client.next(WAIT);
    assertThat(ready.get("type").asText()).as(ready.toString()).isEqualTo("session.ready");
    return client;
  }

  private CompletableFuture<WebSocket> connect(String path) {
    return TestHttp.client()
        .newWebSocketBuilder()
        .buildAsync(
            URI.create("ws://127.0.0.1:" + edge.actualPort() + path), new WebSocket.Listener() {});
  }

  /** 101 for an upgrade, else the HTTP status that refused it. */
  private static int handshakeStatus(CompletableFuture<WebSocket> open) throws Exception {
    try {
      open.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      return 101;
    } catch (java.util.concurrent.ExecutionException | CompletionException e) {
      if (e.getCause() instanceof WebSocketHandshakeException refused) {
        return refused.getResponse().statusCode();
      }
      throw e;
    }
  }

  private static boolean isSandboxLost(JsonNode frame) {
    return frame.get("type").asText().equals("error")
        && frame.get("code").asText().equals("sandbox_lost");
  }

  /** No second {@code sandbox_lost} came, up to the answer of a ping sent now. */
  private static void assertOneSandboxLost(FrameClient client) throws InterruptedException {
    client.send("{\"v\":1,\"type\":\"ping\",\"id\":\"p-last\"}");
    assertThat(client.until(f -> f.get("type").asText().equals("pong"), WAIT))
        .noneMatch(SessionHandlerIT::isSandboxLost);
  }

  private static int ownUid() throws java.io.IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  /**
   * SIGKILLs every host process whose real uid is {@code uid} (a sandbox's own: its init and what
   * runs in it); how many it signalled.
   */
  private static int killEveryProcessOf(int uid) {
    int killed = 0;
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.toList()) {
        String name = proc.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          for (String line : Files.readAllLines(proc.resolve("status"))) {
            if (line.startsWith("Uid:")
                && line.split("\\s+")[1].equals(Integer.toString(uid))
                && ProcessHandle.of(Long.parseLong(name))
                    .map(ProcessHandle::destroyForcibly)
                    .orElse(false)) {
              killed++;
            }
          }
        } catch (java.io.IOException e) {
          // it ended while we looked
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return killed;
  }

  private static boolean eventually(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20); // polling the node's state, with a deadline
    }
    return true;
  }
}
