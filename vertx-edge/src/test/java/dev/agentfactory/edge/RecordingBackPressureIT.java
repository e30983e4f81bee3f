package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import dev.agentfactory.connectors.event.Rating;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.PublisherConfig;
import dev.agentfactory.connectors.kafka.Topics;
import dev.agentfactory.edge.agent.AgentRegistry;
import dev.agentfactory.edge.agent.JdbcAgentStore;
import dev.agentfactory.edge.agent.ModelProviders;
import dev.agentfactory.edge.auth.Auth;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.session.JdbcTurnStore;
import dev.agentfactory.edge.session.KafkaInteractionRecorder;
import dev.agentfactory.edge.session.SessionHandler;
import dev.agentfactory.edge.session.SessionSettings;
import dev.agentfactory.edge.session.TurnCipher;
import dev.agentfactory.edge.session.TurnStore;
import dev.agentfactory.edge.session.TurnStoreRecorder;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions keep working while Kafka is away for longer than the producer's {@code max.block.ms} (5
 * s): their events wait in the node's publisher and arrive, in order, once the broker is back; past
 * the session's (or the node's) bound of unacknowledged events new work is refused with {@code
 * recording_backlog}, and no event is ever dropped. Feedback over HTTP ({@code POST
 * /v1/sessions/{id}/feedback}) is refused the same way, with a 503, whether a live session or the
 * session turn store answers it. Real sessions over real WebSockets, real sandboxes, a real
 * single-node Kafka broker stopped and restarted on the same port and data, a real (embedded H2)
 * session turn store.
 */
class RecordingBackPressureIT {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The tenant of requests without auth. */
  private static final String TENANT = Auth.DEFAULT_TENANT;

  @TempDir static Path dataDir;
  private static Vertx vertx;
  private static LocalSandboxPool pool;
  private static AgentRegistry registry;

  private EmbeddedKafka kafka;
  private int kafkaPort;
  private InteractionPublisher publisher;
  private LocalPoolLeasing leasing;
  private SessionHandler sessions;
  private HttpServer edge;
  private JdbcTurnStore turns;
  private final List<FrameClient> clients = new ArrayList<>();

  /** Every frame the test's clients read. */
  private final List<JsonNode> seen = new ArrayList<>();

  /** The ids of the sessions {@link #open} opened, in order. */
  private final List<String> sessionIds = new ArrayList<>();

  @TempDir Path turnsDir;

  @BeforeAll
  static void startPool() throws Exception {
    Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx--x--x"));
    vertx = Vertx.vertx();
    Path workDir =
        Path.of(
            System.getProperty("java.io.tmpdir"),
            "af-it-sandboxes",
            "bp-" + UUID.randomUUID().toString().substring(0, 8));
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir).withUidRange(377_600, 20).withWarmTarget("shell", 1),
            TemplateCatalog.builtIn());
    JdbcAgentStore store =
        SessionShutdownIT.await(
            JdbcAgentStore.open(vertx, JdbcAgentStore.embeddedUrl(dataDir), "", ""));
    registry = new AgentRegistry(store, Clock.systemUTC(), TemplateCatalog.builtIn());
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
  void startKafka(@TempDir Path kafkaDir) {
    kafka = EmbeddedKafka.start(kafkaDir, 0);
    kafkaPort = kafka.port();
    kafka.createTopics(Topics.INTERACTIONS);
  }

  @AfterEach
  void stopAll() throws Exception {
    for (FrameClient client : clients) {
      client.close();
    }
    if (sessions != null) {
      SessionShutdownIT.await(sessions.shutdown());
    }
    if (edge != null) {
      SessionShutdownIT.await(edge.close());
    }
    if (leasing != null) {
      leasing.closeAll();
    }
    if (publisher != null) {
      publisher.close(Duration.ofSeconds(5));
    }
    if (turns != null) {
      SessionShutdownIT.await(turns.close());
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void aSessionPastItsBoundOfUnacknowledgedEventsIsRefusedUntilKafkaIsBackAndLosesNone()
      throws Exception {
    startEdge(PublisherConfig.defaults(), 3, Duration.ofSeconds(30));
    FrameClient client = open();
    kafka.close(); // away before the node's first send: no metadata for the topic

    for (int i = 1; i <= 3; i++) {
      assertExits(client, "c" + i);
    }
    JsonNode refused = answerTo(client, exec("c4"));
    assertThat(refused.get("type").asText()).as(refused.toString()).isEqualTo("error");
    assertThat(refused.get("code").asText()).isEqualTo("recording_backlog");
    assertThat(refused.get("id").asText()).isEqualTo("c4");
    assertThat(refused.get("fatal").asBoolean()).isFalse();
    assertThat(refused.get("message").asText()).contains("3 interaction events of this session");

    // away longer than max.block.ms: one attempt to send has waited 5 s for metadata in vain
    assertThat(eventually(() -> publisher.retries() >= 1)).isTrue();
    assertThat(publisher.bufferedEvents()).isEqualTo(3);
    kafka = EmbeddedKafka.start(kafka.dataDir(), kafkaPort);

    // the client sends c5 again while it is refused, as the error says
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonNode answer;
    do {
      assertThat(System.nanoTime() - deadline).as("c5 still refused").isNegative();
      answer = answerTo(client, exec("c5"));
    } while (answer.get("type").asText().equals("error")
        && answer.get("code").asText().equals("recording_backlog"));
    assertThat(answer.get("type").asText()).as(answer.toString()).isEqualTo("exec.exit");

    assertThat(commandsOnTheTopic(4)).containsExactly("echo c1", "echo c2", "echo c3", "echo c5");
    assertNoEventLost(client);
  }

  @Test
  void aBackloggedNodeRefusesNewWorkInEverySessionAndRecordsWhatItHolds() throws Exception {
    // 80 % of 2 events: the node is backlogged once two events wait
    startEdge(new PublisherConfig(2, 1 << 20, Duration.ofMinutes(2)), 64, Duration.ofSeconds(30));
    FrameClient first = open();
    FrameClient second = open();
    kafka.close();

    assertExits(first, "a1");
    assertExits(second, "b1");
    for (FrameClient client : List.of(first, second)) {
      JsonNode refused = answerTo(client, exec("more"));
      assertThat(refused.path("code").asText())
          .as(refused.toString())
          .isEqualTo("recording_backlog");
      assertThat(refused.get("message").asText()).contains("this node's interaction events");
    }

    assertThat(eventually(() -> publisher.retries() >= 1)).isTrue();
    kafka = EmbeddedKafka.start(kafka.dataDir(), kafkaPort);
    assertThat(eventually(() -> publisher.bufferedEvents() == 0)).isTrue();
    assertExits(first, "a2");

    assertThat(commandsOnTheTopic(3)).containsExactlyInAnyOrder("echo a1", "echo b1", "echo a2");
    assertNoEventLost(first);
    assertNoEventLost(second);
  }

  @Test
  void httpFeedbackToALiveSessionPastItsBoundIsRefusedWith503UntilKafkaIsBack() throws Exception {
    startEdge(PublisherConfig.defaults(), 3, Duration.ofSeconds(30));
    FrameClient client = open();
    String sessionId = sessionIds.get(0);
    assertExits(client, "c1");
    assertThat(eventually(() -> publisher.bufferedEvents() == 0)).isTrue();
    kafka.close();
    // c2, c3, c4 run (c4 too is refused if the session has not yet counted c1's acknowledgement)
    JsonNode answer = null;
    for (int i = 2; i <= 5; i++) {
      answer = answerTo(client, exec("c" + i));
      if (!answer.get("type").asText().equals("exec.exit")) {
        break;
      }
    }
    assertThat(answer.path("code").asText()).as(answer.toString()).isEqualTo("recording_backlog");

    HttpResponse<String> refused = postFeedback(sessionId, "c1");
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
    JsonNode error = JSON.readTree(refused.body()).get("error");
    assertThat(error.get("code").asText()).as(refused.body()).isEqualTo("recording_backlog");
    assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
    assertThat(error.get("message").asText())
        .contains("3 interaction events of this session")
        .contains("send the request again later");

    kafka = EmbeddedKafka.start(kafka.dataDir(), kafkaPort);
    assertFeedbackRecordedOnRetry(sessionId, "c1");
    assertNoEventLost(client);
  }

  @Test
  void httpFeedbackOnAnEndedSessionIsRefusedWith503WhileTheNodeIsBackloggedUntilKafkaIsBack()
      throws Exception {
    // 80 % of 2 events: the node is backlogged once two events wait
    startEdge(new PublisherConfig(2, 1 << 20, Duration.ofMinutes(2)), 64, Duration.ZERO);
    FrameClient ended = open();
    String endedId = sessionIds.get(0);
    assertExits(ended, "c1");
    assertThat(eventually(() -> stored(endedId, "c1"))).as("c1 in the turn store").isTrue();
    ended.close();
    assertThat(eventually(() -> sessions.liveSessions() == 0)).as("the session ended").isTrue();

    kafka.close();
    FrameClient other = open();
    assertExits(other, "b1");
    assertExits(other, "b2");
    assertThat(eventually(publisher::backlogged)).as("b1 and b2 wait for Kafka").isTrue();

    // answered from the turn store, not by a live session: the node's backlog still applies
    HttpResponse<String> refused = postFeedback(endedId, "c1");
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
    JsonNode error = JSON.readTree(refused.body()).get("error");
    assertThat(error.get("code").asText()).as(refused.body()).isEqualTo("recording_backlog");
    assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
    assertThat(error.get("message").asText()).contains("this node's interaction events");

    kafka = EmbeddedKafka.start(kafka.dataDir(), kafkaPort);
    assertFeedbackRecordedOnRetry(endedId, "c1");
    assertNoEventLost(other);
  }

  /**
   * Posts the feedback again while it is refused with {@code recording_backlog}, as the error says;
   * then the 201's event is on the topic, amending the turn's event with the rating.
   */
  private void assertFeedbackRecordedOnRetry(String sessionId, String turnId) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    HttpResponse<String> answer;
    do {
      assertThat(System.nanoTime() - deadline).as("feedback still refused").isNegative();
      answer = postFeedback(sessionId, turnId);
    } while (answer.statusCode() == 503
        && JSON.readTree(answer.body()).at("/error/code").asText().equals("recording_backlog"));
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
    JsonNode created = JSON.readTree(answer.body());
    assertThat(created.get("turn_id").asText()).isEqualTo(turnId);
    UUID eventId = UUID.fromString(created.get("event_id").asText());
    UUID amends = UUID.fromString(created.get("amends_event_id").asText());

    Interaction feedback = eventOnTheTopic(eventId);
    assertThat(feedback).as("the feedback's event on the topic").isNotNull();
    assertThat(feedback.sessionId()).isEqualTo(sessionId);
    assertThat(feedback.amends()).contains(amends);
    assertThat(feedback.feedback().flatMap(f -> f.rating())).contains(Rating.UP);
  }

  private HttpResponse<String> postFeedback(String sessionId, String turnId) throws Exception {
    return TestHttp.client()
        .send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + edge.actualPort()
                            + "/v1/sessions/"
                            + sessionId
                            + "/feedback"))
                .header("content-type", "application/json")
                .timeout(WAIT)
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"turn_id\":\"" + turnId + "\",\"rating\":\"up\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private boolean stored(String sessionId, String turnId) {
    try {
      return SessionShutdownIT.await(turns.find(TENANT, sessionId, turnId))
          instanceof TurnStore.Lookup.Found;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void startEdge(PublisherConfig config, int maxUnacked, Duration resumeGrace)
      throws Exception {
    publisher =
        InteractionPublisher.create(
            kafka.bootstrapServers(), Topics.INTERACTIONS, config, Map.of());
    leasing = new LocalPoolLeasing(vertx, pool);
    turns =
        SessionShutdownIT.await(
            JdbcTurnStore.open(
                vertx,
                JdbcTurnStore.embeddedUrl(turnsDir),
                Duration.ofHours(1),
                TurnCipher.of(List.of(new byte[32]))));
    sessions =
        new SessionHandler(
            vertx,
            leasing,
            new TurnStoreRecorder(new KafkaInteractionRecorder(vertx, publisher), turns),
            new SessionSettings(
                64 * 1024,
                resumeGrace,
                Duration.ZERO,
                Duration.ZERO,
                Duration.ofSeconds(30),
                maxUnacked),
            100,
            new EdgeMetrics(),
            registry,
            new ModelProviders(vertx),
            turns);
    Router router = Router.router(vertx);
    router.get("/v1/sessions").handler(sessions::open);
    router
        .post("/v1/sessions/:id/feedback")
        .handler(BodyHandler.create(false))
        .handler(sessions::feedback);
    edge =
        SessionShutdownIT.await(
            vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
  }

  private FrameClient open() throws Exception {
    FrameClient client =
        new FrameClient(URI.create("ws://127.0.0.1:" + edge.actualPort() + "/v1/sessions"));
    clients.add(client);
    JsonNode ready = client.next(WAIT);
    assertThat(ready.get("type").asText()).as(ready.toString()).isEqualTo("session.ready");
    sessionIds.add(ready.get("session_id").asText());
    return client;
  }

  private static String exec(String id) {
    return "{\"v\":1,\"type\":\"exec\",\"id\":\"" + id + "\",\"command\":\"echo " + id + "\"}";
  }

  /** The frame that ends request {@code frame}: its exit or its error. */
  private JsonNode answerTo(FrameClient client, String frame) throws Exception {
    client.send(frame);
    List<JsonNode> frames =
        client.until(
            f ->
                f.get("type").asText().equals("exec.exit")
                    || f.get("type").asText().equals("error"),
            WAIT);
    seen.addAll(frames);
    return frames.get(frames.size() - 1);
  }

  /** No frame said an event was not recorded, up to the answer of a ping sent now. */
  private void assertNoEventLost(FrameClient client) throws Exception {
    client.send("{\"v\":1,\"type\":\"ping\",\"id\":\"p-last\"}");
    seen.addAll(client.until(f -> f.get("type").asText().equals("pong"), WAIT));
    assertThat(seen).noneMatch(f -> f.path("code").asText().equals("event_not_recorded"));
  }

  private void assertExits(FrameClient client, String id) throws Exception {
    JsonNode answer = answerTo(client, exec(id));
    assertThat(answer.get("type").asText()).as(answer.toString()).isEqualTo("exec.exit");
    assertThat(answer.get("id").asText()).isEqualTo(id);
  }

  /** The commands of the events on the interactions topic, in offset order, once there are n. */
  private List<String> commandsOnTheTopic(int n) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            "it-" + System.nanoTime(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest");
    List<String> commands = new ArrayList<>();
    InteractionCodec codec = new InteractionCodec();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.INTERACTIONS));
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (commands.size() < n && System.nanoTime() - deadline < 0) {
        consumer
            .poll(Duration.ofMillis(200))
            .forEach(r -> commands.add(codec.parse(r.value()).messages().get(0).content()));
      }
      // a duplicate would come with the same batch or the next poll
      consumer
          .poll(Duration.ofMillis(500))
          .forEach(r -> commands.add(codec.parse(r.value()).messages().get(0).content()));
    }
    return commands;
  }

  /** The event with this id on the interactions topic, or null if none arrives in time. */
  private Interaction eventOnTheTopic(UUID eventId) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            "it-" + System.nanoTime(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest");
    InteractionCodec codec = new InteractionCodec();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.INTERACTIONS));
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() - deadline < 0) {
        for (var record : consumer.poll(Duration.ofMillis(200))) {
          Interaction event = codec.parse(record.value());
          if (event.eventId().equals(eventId)) {
            return event;
          }
        }
      }
    }
    return null;
  }

  private static boolean eventually(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(20); // polling the node's state, with a deadline
    }
    return true;
  }
}
