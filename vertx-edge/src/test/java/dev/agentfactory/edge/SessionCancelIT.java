package dev.agentfactory.edge;

import static dev.agentfactory.edge.FrameClient.last;
import static dev.agentfactory.edge.FrameClient.output;
import static dev.agentfactory.edge.FrameClient.types;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.connectors.event.TurnOutcome;
import dev.agentfactory.edge.FakeModelServer.Step;
import dev.agentfactory.edge.agent.AgentRegistry;
import dev.agentfactory.edge.agent.AgentSpecCodec;
import dev.agentfactory.edge.agent.JdbcAgentStore;
import dev.agentfactory.edge.agent.ModelProviders;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.session.KafkaInteractionRecorder;
import dev.agentfactory.edge.session.SessionHandler;
import dev.agentfactory.edge.session.SessionSettings;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code cancel} frame (docs/protocol.md#cancelling): a running command is killed, a queued one
 * never runs, an agent turn stops in its tool call or its model stream, an id that names nothing
 * running is a typed error; and the session carries on after each. Real sessions over real
 * WebSockets on port 0, real bubblewrap sandboxes from a local pool; the model is the fake
 * OpenAI-compatible server.
 */
class SessionCancelIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  /**
   * A sleep far longer than {@link #WAIT}: a cancelled command that sleeps it and still ends within
   * {@code WAIT} was killed, not waited for (no bound on how fast the machine is).
   */
  private static final String LONG_SLEEP = "sleep 600";

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

  @BeforeAll
  static void startPool() throws Exception {
    Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx--x--x"));
    vertx = Vertx.vertx();
    Path workDir =
        Path.of(
            System.getProperty("java.io.tmpdir"),
            "af-it-sandboxes",
            "c-" + UUID.randomUUID().toString().substring(0, 8));
    TemplateCatalog templates = TemplateCatalog.builtIn();
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir).withUidRange(377_800, 20).withWarmTarget("shell", 1),
            templates);
    model = new FakeModelServer(vertx);
    JdbcAgentStore store =
        SessionShutdownIT.await(
            JdbcAgentStore.open(vertx, JdbcAgentStore.embeddedUrl(dataDir), "", ""));
    registry = new AgentRegistry(store, Clock.systemUTC(), templates);
    String spec = model.runnerSpec();
    SessionShutdownIT.await(registry.create("default", new AgentSpecCodec().parseJson(spec)));
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

  @BeforeEach
  void startEdge() throws Exception {
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
                64 * 1024,
                Duration.ofSeconds(30),
                Duration.ZERO,
                Duration.ZERO,
                Duration.ofSeconds(30)),
            100,
            metrics,
            registry,
            new ModelProviders(vertx));
    Router router = Router.router(vertx);
    router.get("/v1/sessions").handler(sessions::open);
    edge =
        SessionShutdownIT.await(
            vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
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

  @Test
  void aRunningCommandIsKilledAtOnceAndTheNextCommandRuns() throws Exception {
    try (FrameClient client = open("/v1/sessions")) {
      client.send(exec("c1", "echo started; " + LONG_SLEEP + "; echo never"));
      client.until(f -> is(f, "exec.output") && f.get("data").asText().contains("started"), WAIT);

      client.send(cancel("x1", "c1"));
      List<JsonNode> frames = client.until(f -> is(f, "exec.exit"), WAIT);

      assertThat(types(frames))
          .as(frames.toString())
          .containsExactly("cancel.accepted", "exec.exit");
      JsonNode accepted = frames.get(0);
      assertThat(accepted.get("id").asText()).isEqualTo("x1");
      assertThat(accepted.get("target").asText()).isEqualTo("c1");
      assertThat(accepted.get("state").asText()).isEqualTo("running");
      JsonNode exit = frames.get(1);
      assertThat(exit.get("id").asText()).isEqualTo("c1");
      assertThat(exit.get("status").asText()).isEqualTo("cancelled");
      assertThat(exit.get("exit_code").isNull()).as(exit.toString()).isTrue();

      // the sandbox runs the next command once the cancelled one is dead, not after its sleep
      client.send(exec("c2", "echo after"));
      List<JsonNode> after = client.until(f -> is(f, "exec.exit"), WAIT);
      assertThat(output(after, "c2")).isEqualTo("after\n");
      assertThat(last(after).get("status").asText()).isEqualTo("exited");
      assertThat(output(after, "c1")).as("nothing of c1 after its exec.exit").isEmpty();

      awaitRecorded(2);
      Interaction event = recordedFor("echo started; " + LONG_SLEEP + "; echo never");
      assertThat(event.outcome()).isEqualTo(TurnOutcome.CANCELLED);
      ToolCall call = event.toolCalls().get(0);
      assertThat(call.status()).isEqualTo(ToolCallStatus.CANCELLED);
      assertThat(call.exitCode()).isNull();
      assertThat(call.output()).isEqualTo("started\n");
      assertThat(recordedFor("echo after").outcome()).isEqualTo(TurnOutcome.COMPLETED);
      assertThat(cancels("exec", "running")).isEqualTo(1.0);
    }
  }

  @Test
  void aQueuedCommandIsAnsweredAtOnceAndNeverRuns() throws Exception {
    try (FrameClient client = open("/v1/sessions")) {
      client.send(exec("c1", "echo started; sleep 30"));
      client.send(exec("c2", "touch /workspace/ran"));
      client.send(exec("c3", "echo three"));
      client.until(f -> is(f, "exec.output") && f.get("id").asText().equals("c1"), WAIT);

      // the cancel does not wait behind c1, which still runs: c2's exec.exit comes before c1's
      client.send(cancel("x2", "c2"));
      List<JsonNode> answered = client.until(f -> is(f, "exec.exit"), WAIT);
      assertThat(types(answered))
          .as(answered.toString())
          .containsExactly("cancel.accepted", "exec.exit");
      assertThat(answered.get(0).get("state").asText()).isEqualTo("queued");
      assertThat(answered.get(1).get("id").asText()).isEqualTo("c2");
      assertThat(answered.get(1).get("status").asText()).isEqualTo("cancelled");
      assertThat(answered.get(1).get("exit_code").isNull()).isTrue();
      assertThat(answered.get(1).get("duration_ms").asLong()).isZero();

      client.send(cancel("x1", "c1"));
      client.until(f -> is(f, "exec.exit") && f.get("id").asText().equals("c1"), WAIT);
      List<JsonNode> third = client.until(f -> is(f, "exec.exit"), WAIT);
      assertThat(third.get(third.size() - 1).get("id").asText()).isEqualTo("c3");
      assertThat(output(third, "c3")).isEqualTo("three\n");

      client.send(exec("c4", "test -e /workspace/ran && echo ran || echo never-ran"));
      List<JsonNode> check = client.until(f -> is(f, "exec.exit"), WAIT);
      assertThat(output(check, "c4")).isEqualTo("never-ran\n");
      assertThat(check).noneMatch(f -> f.path("id").asText().equals("c2"));

      awaitRecorded(3);
      assertThat(recorded)
          .extracting(SessionCancelIT::command)
          .as("a command that never ran is not recorded")
          .containsExactly(
              "echo started; sleep 30",
              "echo three",
              "test -e /workspace/ran && echo ran || echo never-ran");
      assertThat(cancels("exec", "queued")).isEqualTo(1.0);
    }
  }

  @Test
  void anAgentTurnIsCancelledInItsToolCallAndRecordedAsCancelled() throws Exception {
    // no step after the call: the turn must not call the model again
    model.script(Step.call("sandbox_exec", "{\"command\":\"echo working; " + LONG_SLEEP + "\"}"));
    try (FrameClient client = open("/v1/sessions?agent=runner")) {
      int asked = model.requests().size();
      client.send(message("q1", "work hard"));
      client.until(f -> is(f, "tool.output") && f.get("data").asText().contains("working"), WAIT);

      client.send(cancel("x1", "q1"));
      List<JsonNode> frames = client.until(f -> is(f, "error"), WAIT);

      assertThat(types(frames))
          .as(frames.toString())
          .containsExactly("cancel.accepted", "tool.result", "error");
      assertThat(frames.get(1).get("status").asText()).isEqualTo("cancelled");
      assertThat(frames.get(1).get("is_error").asBoolean()).isTrue();
      JsonNode end = last(frames);
      assertThat(end.get("id").asText()).isEqualTo("q1");
      assertThat(end.get("code").asText()).isEqualTo("cancelled");
      assertThat(end.get("fatal").asBoolean()).isFalse();
      assertThat(model.requests()).hasSize(asked + 1);

      // the next message is a new turn, and a command runs at once in the same sandbox
      model.script(Step.answer("done"));
      client.send(message("q2", "and now?"));
      assertThat(last(client.until(FrameClient::endsATurn, WAIT)).get("type").asText())
          .isEqualTo("turn.completed");
      client.send(exec("c1", "echo still here"));
      List<JsonNode> ran = client.until(f -> is(f, "exec.exit"), WAIT);
      assertThat(output(ran, "c1")).isEqualTo("still here\n");

      awaitRecorded(3);
      Interaction turn = recorded.get(0);
      assertThat(turn.outcome()).isEqualTo(TurnOutcome.CANCELLED);
      assertThat(turn.messages().get(0).content()).isEqualTo("work hard");
      assertThat(turn.toolCalls()).hasSize(1);
      assertThat(turn.toolCalls().get(0).status()).isEqualTo(ToolCallStatus.CANCELLED);
      assertThat(turn.toolCalls().get(0).output()).contains("working");
      assertThat(recorded.get(1).outcome()).isEqualTo(TurnOutcome.COMPLETED);
      assertThat(cancels("message", "running")).isEqualTo(1.0);
    }
  }

  @Test
  void aModelStillStreamingIsCutOffByACancelAndTheCallIsDropped() throws Exception {
    model.script(Step.hang("thinking"));
    try (FrameClient client = open("/v1/sessions?agent=runner")) {
      int dropped = model.dropped();
      client.send(message("q1", "hi"));
      client.until(f -> is(f, "assistant.delta"), WAIT);

      client.send(cancel("x1", "q1"));
      List<JsonNode> frames = client.until(f -> is(f, "error"), WAIT);

      assertThat(types(frames)).as(frames.toString()).containsExactly("cancel.accepted", "error");
      assertThat(last(frames).get("code").asText()).isEqualTo("cancelled");
      assertThat(last(frames).get("message").asText()).contains("cancelled by the client");
      assertThat(eventually(() -> model.dropped() > dropped))
          .as("the model call's connection was closed")
          .isTrue();

      model.script(Step.answer("hello again"));
      client.send(message("q2", "hi again"));
      assertThat(last(client.until(FrameClient::endsATurn, WAIT)).get("type").asText())
          .isEqualTo("turn.completed");
      awaitRecorded(2);
      Interaction cut = recorded.get(0);
      assertThat(cut.outcome()).isEqualTo(TurnOutcome.CANCELLED);
      assertThat(cut.toolCalls()).isEmpty();
    }
  }

  @Test
  void aQueuedMessageIsAnsweredCancelledAndNeverReachesTheModel() throws Exception {
    CompletableFuture<Void> answer = new CompletableFuture<>();
    model.script(Step.held(answer, Step.answer("forty-two")));
    try (FrameClient client = open("/v1/sessions?agent=runner")) {
      int asked = model.requests().size();
      client.send(message("q1", "6*7?"));
      assertThat(eventually(() -> model.requests().size() > asked)).isTrue();
      client.send(message("q2", "and 6*8?"));

      client.send(cancel("x2", "q2"));
      List<JsonNode> frames = client.until(f -> is(f, "error"), WAIT);
      answer.complete(null);

      assertThat(types(frames)).as(frames.toString()).containsExactly("cancel.accepted", "error");
      assertThat(frames.get(0).get("state").asText()).isEqualTo("queued");
      assertThat(last(frames).get("id").asText()).isEqualTo("q2");
      assertThat(last(frames).get("code").asText()).isEqualTo("cancelled");
      List<JsonNode> first = client.until(FrameClient::endsATurn, WAIT);
      assertThat(last(first).get("type").asText()).isEqualTo("turn.completed");
      assertThat(last(first).get("id").asText()).isEqualTo("q1");

      client.send(ping("p1"));
      assertThat(client.until(f -> is(f, "pong"), WAIT))
          .as("q2 ran no turn")
          .noneMatch(f -> f.path("id").asText().equals("q2"));
      assertThat(model.requests()).hasSize(asked + 1);
      awaitRecorded(1);
      assertThat(recorded).hasSize(1);
    }
  }

  @Test
  void aCancelOfAnIdThatIsNotRunningOrWaitingIsATypedErrorAndTheSessionLivesOn() throws Exception {
    try (FrameClient client = open("/v1/sessions")) {
      client.send(cancel("x1", "nothing-by-this-id"));
      JsonNode unknown = client.next(WAIT);
      assertThat(unknown.get("type").asText()).as(unknown.toString()).isEqualTo("error");
      assertThat(unknown.get("id").asText()).isEqualTo("x1");
      assertThat(unknown.get("code").asText()).isEqualTo("unknown_target");
      assertThat(unknown.get("field").asText()).isEqualTo("target");
      assertThat(unknown.get("message").asText()).contains("nothing-by-this-id");
      assertThat(unknown.get("fatal").asBoolean()).isFalse();

      client.send(exec("c1", "echo done"));
      client.until(f -> is(f, "exec.exit"), WAIT);
      client.send(cancel("x2", "c1"));
      JsonNode finished = client.next(WAIT);
      assertThat(finished.get("code").asText()).as(finished.toString()).isEqualTo("unknown_target");
      assertThat(finished.get("id").asText()).isEqualTo("x2");

      client.send("{\"v\":1,\"type\":\"cancel\",\"id\":\"x3\"}");
      JsonNode malformed = client.next(WAIT);
      assertThat(malformed.get("code").asText())
          .as(malformed.toString())
          .isEqualTo("invalid_field");
      assertThat(malformed.get("field").asText()).isEqualTo("target");
      assertThat(malformed.get("id").asText()).isEqualTo("x3");

      client.send(exec("c2", "echo alive"));
      List<JsonNode> ran = client.until(f -> is(f, "exec.exit"), WAIT);
      assertThat(output(ran, "c2")).isEqualTo("alive\n");
      assertThat(last(ran).get("status").asText()).isEqualTo("exited");
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static String exec(String id, String command) {
    return "{\"v\":1,\"type\":\"exec\",\"id\":\"" + id + "\",\"command\":\"" + command + "\"}";
  }

  private static String message(String id, String content) {
    return "{\"v\":1,\"type\":\"message\",\"id\":\"" + id + "\",\"content\":\"" + content + "\"}";
  }

  private static String cancel(String id, String target) {
    return "{\"v\":1,\"type\":\"cancel\",\"id\":\"" + id + "\",\"target\":\"" + target + "\"}";
  }

  private static String ping(String id) {
    return "{\"v\":1,\"type\":\"ping\",\"id\":\"" + id + "\"}";
  }

  private static boolean is(JsonNode frame, String type) {
    return frame.get("type").asText().equals(type);
  }

  /**
   * The event of the command {@code command}. Not found by the exec frame's id: events name a
   * command's call by its turn, never by the client's id (KafkaInteractionRecorder.execCallId).
   */
  private Interaction recordedFor(String command) {
    Predicate<Interaction> isIt = e -> command.equals(command(e));
    return recorded.stream()
        .filter(isIt)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no event of " + command + " in " + recorded));
  }

  /** The command an exec's event recorded (its user message). */
  private static String command(Interaction event) {
    return event.messages().get(0).content();
  }

  /**
   * Waits until the sessions recorded {@code count} events: a turn is recorded right after its last
   * frame is sent, so the test may see the frame first.
   */
  private void awaitRecorded(int count) throws InterruptedException {
    assertThat(eventually(() -> recorded.size() >= count))
        .as("%s events recorded (so far: %s)", count, recorded)
        .isTrue();
  }

  /** {@code af_session_cancels_total{kind,state}} by the node's metrics. */
  private double cancels(String kind, String state) {
    String series = "af_session_cancels_total{kind=\"" + kind + "\",state=\"" + state + "\"} ";
    return metrics
        .scrape()
        .lines()
        .filter(line -> line.startsWith(series))
        .mapToDouble(line -> Double.parseDouble(line.substring(series.length()).trim()))
        .sum();
  }

  private FrameClient open(String path) throws Exception {
    FrameClient client = new FrameClient(URI.create("ws://127.0.0.1:" + edge.actualPort() + path));
    JsonNode ready = client.next(WAIT);
    assertThat(ready.get("type").asText()).as(ready.toString()).isEqualTo("session.ready");
    return client;
  }

  private static boolean eventually(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
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
