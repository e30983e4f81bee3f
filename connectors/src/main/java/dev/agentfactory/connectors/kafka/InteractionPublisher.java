package dev.agentfactory.connectors.kafka;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes {@link Interaction} events to Kafka, keyed by session id, with an idempotent producer
 * and {@code acks=all}.
 *
 * <pre>{@code
 * try (InteractionPublisher publisher = InteractionPublisher.create(kafka.bootstrapServers())) {
 *   publisher.publish(event).whenComplete((ok, err) -> ...);
 * }
 * }</pre>
 *
 * <p>{@link #publish} never blocks the caller: {@code KafkaProducer.send} can block for metadata or
 * buffer space (up to {@code max.block.ms}), so it runs on the publisher's own thread behind a
 * bounded queue. A full queue fails the returned stage with {@link RejectedExecutionException}
 * instead of blocking. Completion callbacks run on the producer's I/O thread: callers should hop
 * back to their own context (e.g. {@code Future.fromCompletionStage(stage, context)} in Vert.x).
 *
 * <p>When a send could not even start (no metadata for the topic within {@code max.block.ms}: the
 * cluster is unreachable or the topic is gone), the sends queued behind it fail at once with {@link
 * KafkaUnavailableException} for {@link #UNAVAILABLE_BACKOFF}, then one send tries again. Without
 * this each queued send waited {@code max.block.ms} in turn, and a full queue took hours to answer
 * its callers. Sends that did start are buffered and retried by the producer as usual (up to {@code
 * delivery.timeout.ms}), so a broker that is briefly away loses nothing.
 */
public final class InteractionPublisher implements AutoCloseable {

  /** Pending sends beyond this fail fast. */
  public static final int DEFAULT_QUEUE_CAPACITY = 10_000;

  /** How long queued sends fail at once after one could not start. */
  public static final Duration UNAVAILABLE_BACKOFF = Duration.ofSeconds(5);

  /** Kafka could not take the event: a send before it found no metadata for the topic in time. */
  public static final class KafkaUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KafkaUnavailableException(String message) {
      super(message);
    }
  }

  private volatile long unavailableUntilNanos;
  private volatile String unavailableReason;

  private final Producer<String, byte[]> producer;
  private final String topic;
  private final InteractionCodec codec = new InteractionCodec();
  private final ThreadPoolExecutor sender;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Wraps an existing producer (tests use {@code MockProducer}); the publisher closes it. */
  public InteractionPublisher(Producer<String, byte[]> producer, String topic, int queueCapacity) {
    this.producer = producer;
    this.topic = topic;
    this.sender =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(queueCapacity),
            r -> {
              Thread t = new Thread(r, "interaction-publisher");
              t.setDaemon(true);
              return t;
            });
  }

  /** A publisher to {@link Topics#INTERACTIONS} with the default producer settings. */
  public static InteractionPublisher create(String bootstrapServers) {
    return create(bootstrapServers, Topics.INTERACTIONS, Map.of());
  }

  /**
   * A publisher to {@code topic}; {@code overrides} are Kafka producer properties applied last
   * (e.g. {@code client.id}, {@code linger.ms}).
   */
  public static InteractionPublisher create(
      String bootstrapServers, String topic, Map<String, Object> overrides) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // Bounds how long the sender thread can be stuck on metadata or a full buffer.
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    props.putAll(overrides);
    KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    return new InteractionPublisher(producer, topic, DEFAULT_QUEUE_CAPACITY);
  }

  /** Sends one event; completes when the broker acknowledged it (all in-sync replicas). */
  public CompletionStage<Void> publish(Interaction event) {
    CompletableFuture<Void> result = new CompletableFuture<>();
    byte[] value;
    try {
      value = codec.toJson(event);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return result;
    }
    ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, event.sessionId(), value);
    try {
      sender.execute(
          () -> {
            if (System.nanoTime() - unavailableUntilNanos < 0) {
              result.completeExceptionally(
                  new KafkaUnavailableException(
                      "Kafka is unavailable for topic " + topic + ": " + unavailableReason));
              return;
            }
            try {
              producer.send(
                  record,
                  (metadata, error) -> {
                    if (error == null) {
                      result.complete(null);
                      return;
                    }
                    if (error instanceof org.apache.kafka.common.errors.TimeoutException) {
                      // no metadata in max.block.ms (the producer calls back from send() itself),
                      // or the record expired in the buffer: the cluster is away
                      unavailable(error);
                    }
                    result.completeExceptionally(error);
                  });
            } catch (RuntimeException e) {
              result.completeExceptionally(e);
            }
          });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(
          new RejectedExecutionException("publisher queue full or publisher closed", e));
    }
    return result;
  }

  private void unavailable(Exception why) {
    unavailableReason = why.getMessage();
    unavailableUntilNanos = System.nanoTime() + UNAVAILABLE_BACKOFF.toNanos();
  }

  /** Sends what is queued, flushes the producer and closes it, waiting up to 30 s. */
  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  /** Sends what is queued, flushes the producer and closes it, waiting up to {@code timeout}. */
  public void close(Duration timeout) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    sender.shutdown();
    try {
      sender.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long left = Math.max(0, deadline - System.nanoTime());
    // close(timeout) sends what is buffered within the time left; a flush() first would wait
    // without a bound for a cluster that is away
    producer.close(Duration.ofNanos(left));
  }
}
