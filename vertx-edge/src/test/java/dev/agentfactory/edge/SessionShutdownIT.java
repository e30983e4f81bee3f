package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.connectors.event.TurnOutcome;
import dev.agentfactory.edge.FakeModelServer.Step;
import dev.agentfactory.edge.agent.AgentRegistry;
import dev.agentfactory.edge.agent.AgentSpecCodec;
import dev.agentfactory.edge.agent.JdbcAgentStore;
import dev.agentfactory.edge.agent.ModelProviders;
import dev.agentfactory.edge.auth.Auth;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.session.KafkaInteractionRecorder;
import dev.agentfactory.edge.session.SessionHandler;
import dev.agentfactory.edge.session.SessionSettings;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxState;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SessionHandler#shutdown()} completes, and gives every sandbox back, whatever its sessions
 * are doing: a client whose close frame is still being handled, a lease in flight, a command
 * running, a tool call running, and a release that never finishes. Real sessions over real
 * WebSockets on port 0, real bubblewrap sandboxes from a local pool; the model is the fake
 * OpenAI-compatible server (the one stand-in). Two cases inject a fault around the real pool: a
 * lease answer held back until the test lets it go, and a release that never answers.
 */
class SessionShutdownIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir static Path dataDir;
  private static Vertx vertx;
  private static LocalSandboxPool pool;
  private static FakeModelServer model;
  private static McpHttpFixtureServer mcp;
  private static JdbcAgentStore store;
  private static AgentRegistry registry;

  /** The leasing of one test: what it leased and released, and the faults it injects. */
  private LocalPoolLeasing leasing;

  private SessionHandler sessions;
  private HttpServer edge;

  /** The interaction events the sessions recorded, in order. */
  private final List<Interaction> recorded = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void startPool() throws Exception {
    Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx--x--x"));
    vertx = Vertx.vertx();
    Path workDir =
        Path.of(
            System.getProperty("java.io.tmpdir"),
            "af-it-sandboxes",
            "s-" + UUID.randomUUID().toString().substring(0, 8));
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir).withUidRange(376_000, 40).withWarmTarget("shell", 1));
    model = new FakeModelServer(vertx);
    store = await(JdbcAgentStore.open(vertx, JdbcAgentStore.embeddedUrl(dataDir), "", ""));
    registry = new AgentRegistry(store);
    String spec = model.runnerSpec();
    await(registry.create("default", new AgentSpecCodec().parseJson(spec)));
    // Agents whose tools are listed at the start of a turn: an HTTP MCP server first, then (for
    // lister) a stdio one, which runs in the session's sandbox
    mcp = new McpHttpFixtureServer(vertx);
    String remote =
        spec.replace("\"runner\"", "\"remote\"")
            .replace(
                "\"limits\"",
                "\"mcp_servers\":[{\"name\":\"remote\",\"url\":\"" + mcp.url() + "\"}],\"limits\"");
    await(registry.create("default", new AgentSpecCodec().parseJson(remote)));
    String lister =
        remote
            .replace("{\"name\":\"remote\",\"model\"", "{\"name\":\"lister\",\"model\"")
            .replace(
                "}],\"limits\"",
                "},{\"name\":\"local\",\"command\":[\"python3\",\"server.py\"]}],\"limits\"");
    assertThat(lister).contains("\"name\":\"lister\"", "\"local\"");
    await(registry.create("default", new AgentSpecCodec().parseJson(lister)));
  }

  @AfterAll
  static void stopPool() throws Exception {
    if (mcp != null) {
      mcp.close();
    }
    if (pool != null) {
      pool.close();
    }
    if (vertx != null) {
      await(vertx.close());
    }
  }

  @BeforeEach
  void startEdge() throws Exception {
    model.clearScript(); // what an earlier test's cancelled turn never asked for
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
                64 * 1024,
                Duration.ofSeconds(30),
                Duration.ZERO,
                Duration.ZERO,
                Duration.ofSeconds(30)),
            100,
            new EdgeMetrics(),
            registry,
            new ModelProviders(vertx));
    Router router = Router.router(vertx);
    // The key id Auth puts into an authenticated request, here from ?key= (no key store here)
    router
        .get("/v1/sessions")
        .handler(
            ctx -> {
              String key = ctx.queryParams().get("key");
              if (key != null) {
                ctx.put(Auth.KEY_ID, key);
              }
              ctx.next();
            })
        .handler(sessions::open);
    edge = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
  }

  @AfterEach
  void stopEdge() throws Exception {
    leasing.letLeasesGo();
    mcp.holdLists(null);
    mcp.deletesHang(false);
    await(edge.close());
    leasing.closeAll();
  }

  /**
   * The CI hang: the client's close frame has arrived (the socket reports closed) but its close
   * handler has not run, because the server waits for the client to close the TCP connection. The
   * shutdown frame's write threw {@code IllegalStateException: WebSocket is closed}, the session
   * never ended, and shutdown never completed.
   */
  @Test
  void shutdownCompletesWhileTheClientsCloseIsStillInProgress() throws Exception {
    try (RawWebSocket client = new RawWebSocket(edge.actualPort(), "/v1/sessions")) {
      assertThat(client.nextText().get("type").asText()).isEqualTo("session.ready");
      client.sendText("{\"v\":1,\"type\":\"exec\",\"id\":\"x1\",\"command\":\"echo hi\"}");
      JsonNode frame;
      do {
        frame = client.nextText();
      } while (!frame.get("type").asText().equals("exec.exit"));
      assertThat(leasing.leased()).hasSize(1);

      client.sendClose(1000);
      client.awaitCloseFrame(); // the server answered the close; TCP stays open on our side

      await(sessions.shutdown());
      assertThat(sessions.liveSessions()).isZero();
      assertReleased(leasing.leased().get(0));
      assertThat(leasing.leased().get(0).state()).isEqualTo(SandboxState.TERMINATED);
    }
  }

  @Test
  void shutdownWhileALeaseIsInFlightGivesTheSandboxBackWhenItArrives() throws Exception {
    Promise<Void> hold = Promise.promise();
    leasing.holdLeases(hold);
    try (FrameClient client = open("/v1/sessions")) {
      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"x1\",\"command\":\"echo hi\"}");
      assertThat(eventually(() -> leasing.leased().size() == 1))
          .as("the pool handed a sandbox over")
          .isTrue();

      Future<Void> shutdown = sessions.shutdown();
      assertThat(client.next(WAIT).get("code").asText()).isEqualTo("shutting_down");
      hold.complete(); // the lease answer arrives after the session ended
      await(shutdown);
      assertReleased(leasing.leased().get(0));
      assertThat(leasing.leased().get(0).state()).isEqualTo(SandboxState.TERMINATED);
    }
  }

  @Test
  void shutdownWhileACommandRunsKillsItAndGivesTheSandboxBack() throws Exception {
    try (FrameClient client = open("/v1/sessions")) {
      client.send(
          "{\"v\":1,\"type\":\"exec\",\"id\":\"x1\",\"command\":\"echo started; sleep 600\"}");
      client.until(f -> f.get("type").asText().equals("exec.output"), WAIT);

      await(sessions.shutdown());
      assertThat(
              client.until(f -> f.path("code").asText().equals("shutting_down"), WAIT).stream()
                  .map(f -> f.get("type").asText()))
          .doesNotContain("exec.exit");
      assertReleased(leasing.leased().get(0));
      assertThat(leasing.leased().get(0).state()).isEqualTo(SandboxState.TERMINATED);
    }
  }

  @Test
  void shutdownWhileAToolCallRunsEndsTheTurnAndGivesTheSandboxBack() throws Exception {
    model.script(
        Step.call("sandbox_exec", "{\"command\":\"echo started; sleep 600\"}"),
        Step.answer("never reached"));
    try (FrameClient client = open("/v1/sessions?agent=runner")) {
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"run it\"}");
      client.until(f -> f.get("type").asText().equals("tool.output"), WAIT);

      await(sessions.shutdown());
      assertThat(
              client.until(f -> f.path("code").asText().equals("shutting_down"), WAIT).stream()
                  .map(f -> f.get("type").asText()))
          .doesNotContain("turn.completed");
      assertReleased(leasing.leased().get(0));
      assertThat(leasing.leased().get(0).state()).isEqualTo(SandboxState.TERMINATED);
    }
  }

  /**
   * The client closes its session while the agent's command runs: the turn stops there (no model
   * call after it) and is recorded as cancelled, its command as cancelled, not as a made-up failure
   * the model was then asked about.
   */
  @Test
  void closingASessionWhileAToolCallRunsCancelsTheTurn() throws Exception {
    // nothing scripted after the call: a model call after it would get "(script exhausted)"
    model.script(Step.call("sandbox_exec", "{\"command\":\"echo started; sleep 600\"}"));
    int asked = model.requests().size();
    try (FrameClient client = open("/v1/sessions?agent=runner")) {
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"run it\"}");
      client.until(f -> f.get("type").asText().equals("tool.output"), WAIT);
    } // a normal close: the session ends

    assertThat(eventually(() -> !recorded.isEmpty())).as("the turn was recorded").isTrue();
    Interaction turn = recorded.get(0);
    assertThat(turn.outcome()).isEqualTo(TurnOutcome.CANCELLED);
    assertThat(turn.toolCalls())
        .singleElement()
        .satisfies(c -> assertThat(c.status()).isEqualTo(ToolCallStatus.CANCELLED));
    assertThat(model.requests()).as("no model call after the end").hasSize(asked + 1);
    assertReleased(leasing.leased().get(0));
    assertThat(leasing.leased()).hasSize(1);
  }

  /**
   * A key is revoked while a turn of a session it opened runs a command, and while another of its
   * sessions waits for its client to resume: both end (key_revoked, close 4401), the turn is
   * recorded as cancelled as at any end, and their sandboxes go back. The session of another key
   * carries on.
   */
  @Test
  void revokingAKeyEndsItsSessionsAttachedOrNotAndCancelsTheirTurns() throws Exception {
    model.script(Step.call("sandbox_exec", "{\"command\":\"echo started; sleep 600\"}"));
    try (FrameClient turning = open("/v1/sessions?agent=runner&key=key_leaked");
        FrameClient away = open("/v1/sessions?key=key_leaked");
        FrameClient other = open("/v1/sessions?key=key_kept")) {
      turning.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"run it\"}");
      turning.until(f -> f.get("type").asText().equals("tool.output"), WAIT);
      for (FrameClient client : List.of(away, other)) {
        client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"x1\",\"command\":\"echo hi\"}");
        client.until(f -> f.get("type").asText().equals("exec.exit"), WAIT);
      }
      away.abort(); // no close frame: the session waits 30 s for a resume
      List<Sandbox> leased = List.copyOf(leasing.leased());
      assertThat(leased).hasSize(3);

      sessions.keysChanged("key_leaked"::equals);

      JsonNode revoked = turning.until(f -> f.get("type").asText().equals("error"), WAIT).get(0);
      assertThat(revoked.get("code").asText()).as(revoked.toString()).isEqualTo("key_revoked");
      assertThat(revoked.get("fatal").asBoolean()).isTrue();
      assertThat(eventually(turning::isClosedByServer)).isTrue();
      assertThat(turning.closeCode()).isEqualTo(4401);
      assertThat(turning.closeReason()).isEqualTo("key_revoked");
      assertThat(eventually(() -> recorded.stream().anyMatch(e -> "runner".equals(e.agentName()))))
          .as("the turn was recorded")
          .isTrue();
      assertThat(recorded.stream().filter(e -> "runner".equals(e.agentName())))
          .singleElement()
          .satisfies(turn -> assertThat(turn.outcome()).isEqualTo(TurnOutcome.CANCELLED));
      assertThat(eventually(() -> leasing.released().containsAll(leased.subList(0, 2))))
          .as("both sessions of the key gave their sandboxes back, the one away too")
          .isTrue();
      assertThat(sessions.liveSessions()).isEqualTo(1);

      other.send("{\"v\":1,\"type\":\"exec\",\"id\":\"x2\",\"command\":\"echo still\"}");
      List<JsonNode> ran = other.until(f -> f.get("type").asText().equals("exec.exit"), WAIT);
      assertThat(ran.get(ran.size() - 1).get("exit_code").asInt()).isZero();
      assertThat(leasing.released()).doesNotContain(leased.get(2));
    }
  }

  /**
   * The client closes its session while the model is still to answer: the model call is dropped,
   * and the answer, had it come, would start nothing (its tool call would have leased a sandbox for
   * a session that no longer exists).
   */
  @Test
  void closingASessionWhileTheModelIsAskedCancelsTheModelCallAndLeasesNothing() throws Exception {
    CompletableFuture<Void> answer = new CompletableFuture<>();
    model.script(Step.held(answer, Step.call("sandbox_exec", "{\"command\":\"echo late\"}")));
    int asked = model.requests().size();
    int dropped = model.dropped();
    try (FrameClient client = open("/v1/sessions?agent=runner")) {
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"run it\"}");
      assertThat(eventually(() -> model.requests().size() > asked)).isTrue();
    }
    assertThat(eventually(() -> sessions.liveSessions() == 0)).as("the session ended").isTrue();
    // The model server counts a drop only while its answer is still open: the edge closes the
    // connection as the session ends, but under load the server may read that close only after an
    // answer released now went out, and would never count it. So the drop is awaited first.
    assertThat(eventually(() -> model.dropped() > dropped))
        .as("the edge dropped the model call")
        .isTrue();
    answer.complete(null); // the model answers only after the end

    assertThat(eventually(() -> !recorded.isEmpty())).as("the turn was recorded").isTrue();
    Interaction turn = recorded.get(0);
    assertThat(turn.outcome()).isEqualTo(TurnOutcome.CANCELLED);
    assertThat(turn.toolCalls()).isEmpty();
    assertThat(leasing.leased()).as("no sandbox leased").isEmpty();
    assertThat(model.requests()).hasSize(asked + 1);
  }

  /**
   * The client closes its session while the agent's tools are listed at the start of a turn, and
   * the first MCP server answers only after the end: the turn stops there, recorded as cancelled.
   * The next server, a stdio one, runs in the session's sandbox: none may be leased for a session
   * that has ended (it would only be given back), and no model call starts.
   */
  @Test
  void closingASessionWhileItsToolsAreListedLeasesNoSandboxAfterTheEnd() throws Exception {
    assertCancelledWhileListing("lister");
    assertThat(leasing.leased()).as("no sandbox leased after the end").isEmpty();
  }

  /** As above with only the HTTP server: its answer after the end starts no model call. */
  @Test
  void closingASessionWhileItsToolsAreListedStartsNoModelCall() throws Exception {
    assertCancelledWhileListing("remote");
  }

  private void assertCancelledWhileListing(String agent) throws Exception {
    CompletableFuture<Void> listed = new CompletableFuture<>();
    mcp.holdLists(listed);
    // else the end's DELETE answer lets the session close its HTTP client, cutting the listing off
    mcp.deletesHang(true);
    long lists = mcp.methods.stream().filter("tools/list"::equals).count();
    int asked = model.requests().size();
    try (FrameClient client = open("/v1/sessions?agent=" + agent)) {
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"go\"}");
      assertThat(
              eventually(() -> mcp.methods.stream().filter("tools/list"::equals).count() > lists))
          .as("the HTTP server was asked for its tools")
          .isTrue();
    }
    assertThat(eventually(() -> sessions.liveSessions() == 0)).as("the session ended").isTrue();
    listed.complete(null); // the tools are listed only after the end

    assertThat(eventually(() -> !recorded.isEmpty())).as("the turn was recorded").isTrue();
    assertThat(recorded.get(0).outcome()).isEqualTo(TurnOutcome.CANCELLED);
    assertThat(model.requests()).as("no model call").hasSize(asked);
  }

  @Test
  void aReleaseThatNeverAnswersDoesNotHoldUpShutdown() throws Exception {
    leasing.releasesHang(true);
    try (FrameClient client = open("/v1/sessions")) {
      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"x1\",\"command\":\"echo hi\"}");
      client.until(f -> f.get("type").asText().equals("exec.exit"), WAIT);

      await(sessions.shutdown());
      assertThat(sessions.liveSessions()).isZero();
      assertThat(leasing.released()).isEmpty();
    }
  }

  // ---------------------------------------------------------------------------------------------

  private FrameClient open(String path) throws Exception {
    FrameClient client = new FrameClient(URI.create("ws://127.0.0.1:" + edge.actualPort() + path));
    JsonNode ready = client.next(WAIT);
    assertThat(ready.get("type").asText()).as(ready.toString()).isEqualTo("session.ready");
    return client;
  }

  private static boolean eventually(BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  static <T> T await(Future<T> future) throws Exception {
    try {
      return future
          .toCompletionStage()
          .toCompletableFuture()
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("not completed within " + WAIT, e);
    }
  }

  /**
   * The sandbox went back to the pool. A session whose socket closed meanwhile ended from its close
   * handler, so shutdown need not wait for that release: it may still be running (closing a real
   * sandbox on a worker thread, which the session's release wait does not bound), so it is polled
   * for as long as anything else here.
   */
  private void assertReleased(Sandbox sandbox) {
    eventually(() -> leasing.released().contains(sandbox));
    assertThat(leasing.released()).containsExactly(sandbox);
  }
}
