package dev.agentfactory.edge.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.Topics;
import dev.agentfactory.edge.api.ApiRouter;
import dev.agentfactory.edge.auth.ApiKeyStore;
import dev.agentfactory.edge.auth.Auth;
import dev.agentfactory.edge.auth.KeysHandler;
import dev.agentfactory.edge.auth.RateLimiter;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/eval/live} and its WebSocket stream on the contract router with real API keys, fed by
 * the consumer from a real (embedded) Kafka broker.
 */
class EvalLiveIT {

  private static final String ADMIN = "admin-key-0123456789";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Clock EPOCH = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);

  @TempDir Path dir;
  private EmbeddedKafka kafka;
  private KafkaProducer<String, String> producer;
  private Vertx vertx;
  private ApiKeyStore store;
  private Auth auth;
  private LiveEvalConsumer feed;
  private HttpServer server;
  private final HttpClient http = dev.agentfactory.edge.TestHttp.client();

  @BeforeEach
  void start() throws Exception {
    kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0);
    kafka.createTopics(Topics.EVAL_LIVE);
    producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new StringSerializer(),
            new StringSerializer());
    vertx = Vertx.vertx();
    store = ApiKeyStore.embedded(dir);
    auth = new Auth(vertx, Optional.of(ADMIN), store, new RateLimiter(100, 1000));
    auth.start().toCompletionStage().toCompletableFuture().join();
    // the windows here end early in 1970: a board whose clock stands there keeps them
    LiveEvalBoard board = new LiveEvalBoard(EPOCH, LiveEvalBoard.DEFAULT_RETENTION);
    feed = new LiveEvalConsumer(kafka.bootstrapServers(), Topics.EVAL_LIVE, board).start();
    EvalHandler eval = new EvalHandler(board);
    KeysHandler keys = new KeysHandler(auth);

    Map<String, Handler<RoutingContext>> operations = new HashMap<>();
    JsonObject paths = new JsonObject(ApiRouter.contractText()).getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject ops = paths.getJsonObject(path);
      for (String method : ops.fieldNames()) {
        operations.put(
            ops.getJsonObject(method).getString("operationId"),
            ctx -> ctx.response().setStatusCode(501).end());
      }
    }
    operations.put("createKey", keys::create);
    operations.put("getEvalLive", eval::live);
    operations.put("streamEvalLive", eval::stream);
    server =
        vertx
            .createHttpServer()
            .requestHandler(ApiRouter.create(vertx, auth.handler(), operations))
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .join();
  }

  @AfterEach
  void stop() throws Exception {
    feed.close();
    server.close().toCompletionStage().toCompletableFuture().join();
    auth.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
    store.close();
    producer.close();
    kafka.close();
  }

  @Test
  void eachTenantSeesAndIsPushedOnlyItsOwnLatestWindows() throws Exception {
    String acme = key("acme");
    String globex = key("globex");
    publish("acme", "helper", "1.0.0", 1_000, 0.9);
    publish("globex", "other", "2", 1_000, 0.1);

    JsonNode acmeLive = awaitLive(acme, m -> m.size() == 1);
    assertThat(acmeLive.get(0).get("agent").asText()).isEqualTo("helper");
    assertThat(acmeLive.get(0).get("success_rate").asDouble()).isEqualTo(0.9);
    JsonNode globexLive = awaitLive(globex, m -> m.size() == 1);
    assertThat(globexLive.get(0).get("tenant").asText()).isEqualTo("globex");

    BlockingQueue<String> pushed = new LinkedBlockingQueue<>();
    WebSocket socket =
        http.newWebSocketBuilder()
            .header("authorization", "Bearer " + acme)
            .buildAsync(
                URI.create("ws://127.0.0.1:" + server.actualPort() + "/v1/eval/live/stream"),
                new Collect(pushed))
            .get(30, TimeUnit.SECONDS);
    JsonNode snapshot = MAPPER.readTree(pushed.poll(30, TimeUnit.SECONDS));
    assertThat(snapshot.get("window_end_ms").asLong()).isEqualTo(1_000);

    publish("globex", "other", "2", 2_000, 0.2);
    publish("acme", "helper", "1.0.0", 500, 0.0); // an older window, late: ignored
    send("not json at all");
    publish("acme", "helper", "1.0.0", 2_000, 0.5);
    String next = pushed.poll(30, TimeUnit.SECONDS);
    assertThat(next).as("the next push to acme").isNotNull();
    JsonNode update = MAPPER.readTree(next);
    assertThat(update.get("tenant").asText()).isEqualTo("acme");
    assertThat(update.get("window_end_ms").asLong()).isEqualTo(2_000);
    assertThat(update.get("success_rate").asDouble()).isEqualTo(0.5);

    JsonNode latest = awaitLive(acme, m -> m.get(0).get("window_end_ms").asLong() == 2_000);
    assertThat(latest).hasSize(1);
    assertThat(feed.rejected()).isEqualTo(1);
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);

    HttpResponse<String> anonymous =
        http.send(
            HttpRequest.newBuilder(uri("/v1/eval/live")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(401);
  }

  /**
   * On an external Kafka the node creates no topic, and the feed may start before the pipeline
   * created the live evaluation topic: it looks again after a growing back-off (never in a tight
   * loop against the broker) and reads the topic once it exists.
   */
  @Test
  void aTopicCreatedAfterTheFeedStartedIsReadAndLookedUpOnlyAfterABackOffMeanwhile()
      throws Exception {
    String topic = "agent-factory.eval.live.late";
    AtomicInteger lookups = new AtomicInteger();
    Consumer<byte[], byte[]> kafkaConsumer = LiveEvalConsumer.consumer(kafka.bootstrapServers());
    @SuppressWarnings("unchecked")
    Consumer<byte[], byte[]> counting =
        (Consumer<byte[], byte[]>)
            Proxy.newProxyInstance(
                Consumer.class.getClassLoader(),
                new Class<?>[] {Consumer.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("partitionsFor")) {
                    lookups.incrementAndGet();
                  }
                  try {
                    return method.invoke(kafkaConsumer, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    List<Long> pauses = new CopyOnWriteArrayList<>();
    Object pausing = new Object();
    LiveEvalBoard board = new LiveEvalBoard(EPOCH, LiveEvalBoard.DEFAULT_RETENTION);
    LiveEvalConsumer late =
        new LiveEvalConsumer(
            counting,
            topic,
            board,
            ms -> {
              pauses.add(ms);
              synchronized (pausing) {
                pausing.wait(50); // stands in for the back-off: short, the test need not wait
              }
            });
    late.start();
    try {
      awaitTrue("two back-offs while the topic is missing", () -> pauses.size() >= 2);
      assertThat(board.snapshot("acme")).isEmpty();

      kafka.createTopics(topic);
      producer
          .send(
              new ProducerRecord<>(
                  topic,
                  "k",
                  new JsonObject()
                      .put("tenant", "acme")
                      .put("agent", "helper")
                      .put("agent_version", "1.0.0")
                      .put("window_start_ms", 0)
                      .put("window_end_ms", 1_000)
                      .put("turns", 1)
                      .encode()))
          .get(30, TimeUnit.SECONDS);

      awaitTrue("the metric read from the new topic", () -> board.snapshot("acme").size() == 1);
      assertThat(lookups.get())
          .as("every lookup that found no topic was followed by a back-off: " + pauses)
          .isEqualTo(pauses.size() + 1);
      assertThat(pauses.subList(0, 2))
          .as("the back-off grows")
          .containsExactly(
              LiveEvalConsumer.FIRST_BACKOFF_MS, 2 * LiveEvalConsumer.FIRST_BACKOFF_MS);
      assertThat(late.failures()).isZero();
    } finally {
      late.close();
    }
  }

  private static void awaitTrue(String what, BooleanSupplier condition) throws Exception {
    Instant deadline = Instant.now().plus(TIMEOUT);
    Object lock = new Object();
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out waiting for " + what);
      }
      synchronized (lock) {
        lock.wait(100); // a poll interval bounded by the deadline
      }
    }
  }

  private String key(String tenant) throws Exception {
    HttpResponse<String> created =
        http.send(
            HttpRequest.newBuilder(uri("/v1/keys"))
                .header("authorization", "Bearer " + ADMIN)
                .header("content-type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"tenant\":\"" + tenant + "\",\"name\":\"dash\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).isEqualTo(201);
    return MAPPER.readTree(created.body()).get("key").asText();
  }

  private JsonNode awaitLive(String key, java.util.function.Predicate<JsonNode> condition)
      throws Exception {
    Instant deadline = Instant.now().plus(TIMEOUT);
    JsonNode metrics = null;
    while (Instant.now().isBefore(deadline)) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(uri("/v1/eval/live"))
                  .header("authorization", "Bearer " + key)
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      metrics = MAPPER.readTree(response.body()).get("metrics");
      if (metrics.size() > 0 && condition.test(metrics)) {
        return metrics;
      }
      Object lock = new Object();
      synchronized (lock) {
        lock.wait(100); // a poll interval bounded by the deadline
      }
    }
    throw new AssertionError("no matching snapshot, last: " + metrics);
  }

  private void publish(String tenant, String agent, String version, long windowEnd, double rate)
      throws Exception {
    String json =
        new JsonObject()
            .put("tenant", tenant)
            .put("agent", agent)
            .put("agent_version", version)
            .put("window_start_ms", windowEnd - 10_000)
            .put("window_end_ms", windowEnd)
            .put("turns", 10)
            .put("success_rate", rate)
            .encode();
    send(json);
  }

  private void send(String value) throws Exception {
    producer.send(new ProducerRecord<>(Topics.EVAL_LIVE, "k", value)).get(30, TimeUnit.SECONDS);
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.actualPort() + path);
  }

  /** Collects whole text messages. */
  private static final class Collect implements WebSocket.Listener {
    private final BlockingQueue<String> into;
    private final StringBuilder partial = new StringBuilder();

    Collect(BlockingQueue<String> into) {
      this.into = into;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        into.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }
  }
}
