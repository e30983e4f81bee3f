package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.TurnOutcome;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.Topics;
import dev.agentfactory.edge.FakeModelServer;
import dev.agentfactory.edge.FakeModelServer.Step;
import dev.agentfactory.edge.agent.AgentRef;
import dev.agentfactory.edge.agent.AgentSpec;
import dev.agentfactory.edge.agent.AgentSpecCodec;
import dev.agentfactory.edge.agent.AgentVersion;
import dev.agentfactory.edge.agent.ModelProviders;
import dev.agentfactory.edge.tools.SessionTools;
import dev.agentfactory.sandbox.Sandbox;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent turn's interaction event through a real Kafka broker (embedded, with its default message
 * size limits) and the publisher the edge uses: the agent loop against the real OpenAI-compatible
 * provider and a fake model server, its commands answered by the recorded session side of {@link
 * AgentLoopIT}.
 */
class AgentTurnRecordingIT {

  private static final long WAIT_SECONDS = 60;

  @TempDir Path dir;

  /**
   * Forty commands of 64 KiB of output each make an event of some 2.6 MB: Kafka refused it
   * (RecordTooLargeException), the client got {@code event_not_recorded} and the turn was lost. Now
   * its outputs are cut to fit, and the event read back from the topic says so.
   */
  @Test
  void aTurnOfManyLargeToolOutputsIsRecordedWithItsOutputsCutAndFlagged() throws Exception {
    Vertx vertx = Vertx.vertx();
    ModelProviders providers = new ModelProviders(vertx);
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0);
        FakeModelServer model = new FakeModelServer(vertx);
        InteractionPublisher publisher = InteractionPublisher.create(kafka.bootstrapServers())) {
      kafka.createTopics(Topics.INTERACTIONS);
      Context context = vertx.getOrCreateContext();
      AgentLoopIT.RecordingIo io = new AgentLoopIT.RecordingIo();
      io.stdout = "0123456789abcdef".repeat(4 * 1024); // 64 KiB, the most a command records
      List<Step> steps = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        steps.add(Step.call("sandbox_exec", "{\"command\":\"cat big" + i + "\"}"));
      }
      steps.add(Step.answer("read them all"));
      model.script(steps.toArray(Step[]::new));
      AgentLoop loop = loop(vertx, context, providers, model, io);

      AgentLoop.Turn turn = run(context, loop, "read the forty files").result();
      String sessionId = "s-" + UUID.randomUUID();
      AgentTurnRecord record =
          new AgentTurnRecord(
              "acme", sessionId, 1, "looper", "1", turn, Instant.now(), TurnOutcome.COMPLETED);
      CompletableFuture<AsyncResult<Void>> recorded = new CompletableFuture<>();
      context.runOnContext(
          v ->
              new KafkaInteractionRecorder(vertx, publisher)
                  .record(record)
                  .onComplete(recorded::complete));
      AsyncResult<Void> result = recorded.get(WAIT_SECONDS, TimeUnit.SECONDS);

      assertThat(result.succeeded())
          .as("recorded, no event_not_recorded: %s", result.cause())
          .isTrue();
      Interaction event = consume(kafka, sessionId);
      assertThat(event.eventId()).isEqualTo(record.eventId());
      assertThat(event.truncated()).isTrue();
      assertThat(event.toolCalls()).hasSize(40).allMatch(ToolCall::outputTruncated);
      assertThat(event.toolCalls())
          .allMatch(c -> c.output().startsWith("0123456789abcdef0123456789abcdef"))
          .allMatch(c -> c.output().endsWith(EventSizeCap.MARKER));
      assertThat(event.messages().get(event.messages().size() - 1).content())
          .isEqualTo("read them all");
    } finally {
      providers.close();
      vertx.close().toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }
  }

  private static AgentLoop loop(
      Vertx vertx,
      Context context,
      ModelProviders providers,
      FakeModelServer model,
      AgentLoop.Io io) {
    AgentSpec spec =
        new AgentSpecCodec()
            .parseJson(
                "{\"name\":\"looper\",\"model\":{\"provider\":\"openai\",\"name\":\"fake-model\","
                    + "\"base_url\":\""
                    + model.baseUrl()
                    + "\"},\"sandbox\":{\"template\":\"shell\"},\"tools\":[\"sandbox.exec\"],"
                    + "\"limits\":{\"max_turns\":50}}");
    AgentVersion version = new AgentVersion(AgentRef.of("looper"), 1, "hash", spec, Instant.now());
    return new AgentLoop(
        version,
        providers.forSpec("default", spec.model()),
        io,
        new SessionTools(
            vertx,
            context,
            spec,
            () -> Future.<Sandbox>failedFuture(new IllegalStateException("no sandbox here"))));
  }

  private static AsyncResult<AgentLoop.Turn> run(Context context, AgentLoop loop, String content)
      throws Exception {
    CompletableFuture<AsyncResult<AgentLoop.Turn>> done = new CompletableFuture<>();
    context.runOnContext(v -> loop.run("q1", content).onComplete(done::complete));
    return done.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /** The session's event, read from the topic as the pipeline reads it. */
  private static Interaction consume(EmbeddedKafka kafka, String sessionId) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.INTERACTIONS));
      long deadline = System.nanoTime() + Duration.ofSeconds(WAIT_SECONDS).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (sessionId.equals(r.key())) {
            return new InteractionCodec().parse(r.value());
          }
        }
      }
    }
    throw new AssertionError("no event of session " + sessionId + " on " + Topics.INTERACTIONS);
  }
}
