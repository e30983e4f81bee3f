package dev.agentfactory.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class InteractionPublisherTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void eventIsKeyedBySessionIdAndCompletesWhenAcknowledged() throws Exception {
    MockProducer<String, byte[]> producer =
        new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    Interaction event = event("sess-9", 0);
    try (InteractionPublisher publisher = new InteractionPublisher(producer, "topic", 10)) {
      CompletableFuture<Void> sent = publisher.publish(event).toCompletableFuture();
      sent.get(5, TimeUnit.SECONDS);
      assertThat(publisher.bufferedEvents()).isZero();
      assertThat(publisher.bufferedBytes()).isZero();
    }
    assertThat(producer.history())
        .singleElement()
        .satisfies(
            record -> {
              assertThat(record.topic()).isEqualTo("topic");
              assertThat(record.key()).isEqualTo("sess-9");
              assertThat(new InteractionCodec().parse(record.value())).isEqualTo(event);
            });
    assertThat(producer.closed()).isTrue();
  }

  @Test
  void eventsThatCouldNotStartWhileKafkaWasAwayAreRetriedAndArriveInOrder() throws Exception {
    AwayProducer producer = new AwayProducer();
    producer.away = true;
    try (InteractionPublisher publisher =
        new InteractionPublisher(producer, "topic", PublisherConfig.defaults())) {
      List<CompletableFuture<Void>> sends = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        sends.add(publisher.publish(event("sess-1", i)).toCompletableFuture());
      }
      assertThat(eventually(() -> publisher.retries() >= 3)).isTrue();
      assertThat(sends).noneMatch(CompletableFuture::isDone);
      assertThat(publisher.bufferedEvents()).isEqualTo(20);

      producer.away = false;
      CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new))
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(publisher.bufferedEvents()).isZero();
    }
    assertThat(producer.history())
        .extracting(r -> new InteractionCodec().parse(r.value()).turn())
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 20).boxed().toList());
  }

  @Test
  void aFullBufferRefusesTheNextEventAtOnceWithARetriableBufferFull() throws Exception {
    MockProducer<String, byte[]> producer =
        new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
    try (InteractionPublisher publisher =
        new InteractionPublisher(
            producer, "topic", new PublisherConfig(3, 1 << 20, Duration.ofMinutes(2)))) {
      List<CompletableFuture<Void>> held = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        held.add(publisher.publish(event("s", i)).toCompletableFuture());
      }
      assertThat(publisher.backlogged()).isTrue();
      Throwable refused = failure(publisher.publish(event("s", 3)).toCompletableFuture());
      assertThat(refused).isInstanceOf(PublishException.class);
      assertThat(((PublishException) refused).reason())
          .isEqualTo(PublishException.Reason.BUFFER_FULL);
      assertThat(((PublishException) refused).retriable()).isTrue();

      assertThat(eventually(() -> producer.history().size() == 3)).isTrue();
      producer.completeNext();
      held.get(0).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      CompletableFuture<Void> fits = publisher.publish(event("s", 4)).toCompletableFuture();
      assertThat(eventually(() -> producer.history().size() == 4)).isTrue();
      while (producer.completeNext()) {
        // acknowledge the rest
      }
      fits.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  @Test
  void aBufferOfBytesRefusesTheEventThatWouldOverflowIt() throws Exception {
    MockProducer<String, byte[]> producer =
        new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
    long oneEvent = new InteractionCodec().toJson(event("s", 0)).length + 1;
    try (InteractionPublisher publisher =
        new InteractionPublisher(
            producer, "topic", new PublisherConfig(100, oneEvent + 10, Duration.ofMinutes(2)))) {
      CompletableFuture<Void> first = publisher.publish(event("s", 0)).toCompletableFuture();
      assertThat(publisher.bufferedBytes()).isEqualTo(oneEvent);
      assertThat(failure(publisher.publish(event("s", 1)).toCompletableFuture()))
          .isInstanceOfSatisfying(
              PublishException.class,
              e -> assertThat(e.reason()).isEqualTo(PublishException.Reason.BUFFER_FULL));
      assertThat(eventually(() -> producer.history().size() == 1)).isTrue();
      producer.completeNext();
      first.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  @Test
  void eventsKafkaDoesNotTakeWithinTheDeliveryTimeoutFailInOrderAsTimedOut() throws Exception {
    AwayProducer producer = new AwayProducer();
    producer.away = true;
    try (InteractionPublisher publisher =
        new InteractionPublisher(
            producer, "topic", new PublisherConfig(100, 1 << 20, Duration.ofSeconds(1)))) {
      List<CompletableFuture<Void>> sends = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        sends.add(publisher.publish(event("s", i)).toCompletableFuture());
      }
      for (CompletableFuture<Void> send : sends) {
        assertThat(failure(send))
            .isInstanceOfSatisfying(
                PublishException.class,
                e -> {
                  assertThat(e.reason()).isEqualTo(PublishException.Reason.TIMED_OUT);
                  assertThat(e.retriable()).isTrue();
                  assertThat(e).hasMessageContaining("topic").hasMessageContaining("metadata");
                });
      }
      assertThat(publisher.bufferedEvents()).isZero();
    }
    assertThat(producer.history()).isEmpty();
  }

  @Test
  void closeAnswersEveryBufferedEventAndRefusesLaterOnesAsClosed() throws Exception {
    AwayProducer producer = new AwayProducer();
    producer.away = true;
    InteractionPublisher publisher =
        new InteractionPublisher(producer, "topic", PublisherConfig.defaults());
    List<CompletableFuture<Void>> sends = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      sends.add(publisher.publish(event("s", i)).toCompletableFuture());
    }
    publisher.close(Duration.ofMillis(300));
    sends.add(publisher.publish(event("s", 5)).toCompletableFuture());
    for (CompletableFuture<Void> send : sends) {
      assertThat(failure(send))
          .isInstanceOfSatisfying(
              PublishException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(PublishException.Reason.CLOSED);
                assertThat(e.retriable()).isFalse();
              });
    }
    assertThat(publisher.bufferedEvents()).isZero();
  }

  @Test
  void closeFailsEventsThatKafkaHadTakenButNotAcknowledged() throws Exception {
    MockProducer<String, byte[]> producer =
        new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
    InteractionPublisher publisher = new InteractionPublisher(producer, "topic", 10);
    CompletableFuture<Void> send = publisher.publish(event("s", 0)).toCompletableFuture();
    assertThat(eventually(() -> producer.history().size() == 1)).isTrue();
    publisher.close(Duration.ofMillis(100));
    assertThat(failure(send))
        .isInstanceOfSatisfying(
            PublishException.class,
            e -> assertThat(e.reason()).isEqualTo(PublishException.Reason.CLOSED));
  }

  @Test
  void whenKafkaCannotBeReachedQueuedEventsFailByTheirDeadlineNotOneMaxBlockEach()
      throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    // a real producer; each attempt may wait 1 s for the topic's metadata, which never comes
    try (InteractionPublisher publisher =
        InteractionPublisher.create(
            "127.0.0.1:" + port,
            "topic",
            new PublisherConfig(100, 1 << 20, Duration.ofSeconds(2)),
            Map.of("max.block.ms", 1_000))) {
      List<CompletableFuture<Void>> sends = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        sends.add(publisher.publish(event("sess-9", i)).toCompletableFuture());
      }
      for (CompletableFuture<Void> send : sends) {
        assertThat(failure(send))
            .isInstanceOfSatisfying(
                PublishException.class,
                e -> {
                  assertThat(e.reason()).isEqualTo(PublishException.Reason.TIMED_OUT);
                  assertThat(e).hasMessageContaining("not present in metadata");
                });
      }
      assertThat(publisher.retries()).isPositive();
    }
  }

  private static Interaction event(String session, int turn) {
    return Interaction.sandboxCommand("t", session, turn, "a", "1", "ls", "x", 0, Duration.ZERO);
  }

  private static Throwable failure(CompletableFuture<Void> send) throws Exception {
    return send.handle((ok, e) -> e).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static boolean eventually(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(10); // polling the publisher's state, with a deadline
    }
    return true;
  }

  /**
   * Acknowledges at once, except while {@link #away}: then every send fails from inside {@code
   * send()} with the {@code TimeoutException} a {@code KafkaProducer} gives when it finds no
   * metadata for the topic within {@code max.block.ms}.
   */
  private static final class AwayProducer extends MockProducer<String, byte[]> {
    volatile boolean away;

    AwayProducer() {
      super(true, null, new StringSerializer(), new ByteArraySerializer());
    }

    @Override
    public synchronized Future<RecordMetadata> send(
        ProducerRecord<String, byte[]> record, Callback callback) {
      if (away) {
        TimeoutException e =
            new TimeoutException(
                "Topic " + record.topic() + " not present in metadata after 0 ms.");
        callback.onCompletion(null, e);
        return CompletableFuture.failedFuture(e);
      }
      return super.send(record, callback);
    }
  }
}
