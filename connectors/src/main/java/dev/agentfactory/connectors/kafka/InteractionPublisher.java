package dev.agentfactory.connectors.kafka;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes {@link Interaction} events to Kafka, keyed by session id, with an idempotent producer
 * and {@code acks=all}, without blocking its callers and without losing events while Kafka is
 * briefly away.
 *
 * <pre>{@code
 * try (InteractionPublisher publisher = InteractionPublisher.create(kafka.bootstrapServers())) {
 *   publisher.publish(event).whenComplete((ok, err) -> ...);
 * }
 * }</pre>
 *
 * <p>{@link #publish} only appends to a bounded buffer ({@link PublisherConfig}: events and bytes,
 * counted until Kafka acknowledges). One sender thread hands the buffer to the producer in order,
 * because {@code KafkaProducer.send} can block for metadata or producer memory (up to {@code
 * max.block.ms}). When a send cannot start (no metadata for the topic in time: Kafka is down or
 * unreachable, e.g. at the node's first send; or the producer's memory is full) the sender keeps
 * that event at the head and tries it again with a backoff, so the events behind it wait and keep
 * their order. Sends that did start are retried by the producer itself, up to {@code
 * delivery.timeout.ms}.
 *
 * <p>Every returned stage completes: with the acknowledgement, or with a {@link PublishException}
 * naming why not: {@code BUFFER_FULL} at once when the bound is reached, {@code TIMED_OUT} when
 * Kafka did not take the event within {@link PublisherConfig#deliveryTimeout()} of its publish (or
 * did not acknowledge it within that time of taking it), {@code CLOSED} when {@link #close} ran out
 * of time, {@code REJECTED} when Kafka refused it. Completion callbacks run on the producer's or
 * the sender's thread: callers hop back to their own context (e.g. {@code
 * Future.fromCompletionStage(stage, context)} in Vert.x).
 */
public final class InteractionPublisher implements AutoCloseable {

  /** The default bound of unacknowledged events. */
  public static final int DEFAULT_QUEUE_CAPACITY = PublisherConfig.DEFAULT_MAX_BUFFERED_EVENTS;

  /** Above this share of either bound the publisher reports itself {@link #backlogged()}. */
  static final double HIGH_WATER = 0.8;

  private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(2);

  private final Producer<String, byte[]> producer;
  private final String topic;
  private final PublisherConfig config;
  private final InteractionCodec codec = new InteractionCodec();
  private final Thread sender;

  private final Object lock = new Object();

  /** Events not yet handed to the producer, oldest first; only the sender takes from it. */
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();

  /** Handed to the producer, not yet acknowledged: failed by {@link #close} if still there. */
  private final Set<Pending> inProducer = ConcurrentHashMap.newKeySet();

  private int bufferedEvents; // guarded by lock: queued and in the producer
  private long bufferedBytes; // guarded by lock
  private boolean closing; // guarded by lock
  private long closeDeadline; // guarded by lock, valid once closing
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicLong retries = new AtomicLong();

  /** Wraps an existing producer (tests use {@code MockProducer}); the publisher closes it. */
  public InteractionPublisher(Producer<String, byte[]> producer, String topic, int queueCapacity) {
    this(
        producer,
        topic,
        new PublisherConfig(
            queueCapacity,
            PublisherConfig.DEFAULT_MAX_BUFFERED_BYTES,
            PublisherConfig.DEFAULT_DELIVERY_TIMEOUT));
  }

  /** Wraps an existing producer with these bounds; the publisher closes it. */
  public InteractionPublisher(
      Producer<String, byte[]> producer, String topic, PublisherConfig config) {
    this.producer = producer;
    this.topic = topic;
    this.config = config;
    this.sender = new Thread(this::sendInOrder, "interaction-publisher");
    sender.setDaemon(true);
    sender.start();
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
    return create(bootstrapServers, topic, PublisherConfig.defaults(), overrides);
  }

  /** A publisher to {@code topic} with these bounds; {@code overrides} as above. */
  public static InteractionPublisher create(
      String bootstrapServers,
      String topic,
      PublisherConfig config,
      Map<String, Object> overrides) {
    long deliveryMs = config.deliveryTimeout().toMillis();
    int lingerMs = 5;
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    props.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // Bounds how long the sender thread is stuck in one attempt before it checks deadlines again.
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) Math.min(5_000, deliveryMs));
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) deliveryMs);
    // the producer refuses delivery.timeout.ms < linger.ms + request.timeout.ms
    props.put(
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(30_000, deliveryMs - lingerMs));
    props.putAll(overrides);
    KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    return new InteractionPublisher(producer, topic, config);
  }

  /**
   * Buffers one event; the stage completes when the broker acknowledged it (all in-sync replicas),
   * or fails with a {@link PublishException} (or the codec's exception for an event it cannot
   * encode).
   */
  public CompletionStage<Void> publish(Interaction event) {
    CompletableFuture<Void> result = new CompletableFuture<>();
    byte[] value;
    try {
      value = codec.toJson(event);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return result;
    }
    String key = event.sessionId();
    long size = value.length + (long) key.getBytes(StandardCharsets.UTF_8).length;
    Pending pending =
        new Pending(
            new ProducerRecord<>(topic, key, value),
            size,
            System.nanoTime() + config.deliveryTimeout().toNanos(),
            result);
    PublishException refused = null;
    synchronized (lock) {
      if (closing) {
        refused = failure(PublishException.Reason.CLOSED, "the publisher is closed", null);
      } else if (size > config.maxBufferedBytes()) {
        refused =
            failure(
                PublishException.Reason.REJECTED,
                "the event is "
                    + size
                    + " bytes, more than the whole buffer ("
                    + config.maxBufferedBytes()
                    + ")",
                null);
      } else if (bufferedEvents >= config.maxBufferedEvents()
          || bufferedBytes + size > config.maxBufferedBytes()) {
        refused =
            failure(
                PublishException.Reason.BUFFER_FULL,
                "the publisher already holds "
                    + bufferedEvents
                    + " unacknowledged events ("
                    + bufferedBytes
                    + " bytes); Kafka is slow or away",
                null);
      } else {
        bufferedEvents++;
        bufferedBytes += size;
        queue.addLast(pending);
        lock.notifyAll();
      }
    }
    if (refused != null) {
      result.completeExceptionally(refused);
    }
    return result;
  }

  /** Unacknowledged events, queued or in the producer. */
  public int bufferedEvents() {
    synchronized (lock) {
      return bufferedEvents;
    }
  }

  /** Bytes of the unacknowledged events. */
  public long bufferedBytes() {
    synchronized (lock) {
      return bufferedBytes;
    }
  }

  /**
   * Whether the buffer is over 80 % of either bound: producers of events should hold back new work
   * until Kafka catches up, before {@code publish} starts refusing events.
   */
  public boolean backlogged() {
    synchronized (lock) {
      return bufferedEvents >= config.maxBufferedEvents() * HIGH_WATER
          || bufferedBytes >= config.maxBufferedBytes() * HIGH_WATER;
    }
  }

  /** Times a send could not start (Kafka away, producer memory full) and was tried again. */
  public long retries() {
    return retries.get();
  }

  public PublisherConfig config() {
    return config;
  }

  /** The sender thread: hands the head of the queue to the producer, or retries it. */
  private void sendInOrder() {
    long backoff = MIN_BACKOFF_NANOS;
    Throwable lastError = null;
    while (true) {
      Pending head;
      boolean expired;
      synchronized (lock) {
        while (queue.isEmpty() && !closing) {
          waitQuietly(0);
        }
        if (queue.isEmpty()) {
          return; // closing, everything handed over
        }
        head = queue.peekFirst();
        long now = System.nanoTime();
        if (closing && now - closeDeadline >= 0) {
          break;
        }
        expired = now - head.deadline >= 0;
        if (expired) {
          queue.pollFirst();
        }
      }
      if (expired) {
        finish(
            head,
            failure(
                PublishException.Reason.TIMED_OUT,
                "Kafka did not take the event within "
                    + config.deliveryTimeout()
                    + (lastError == null ? "" : ": " + lastError.getMessage()),
                lastError));
        continue;
      }
      Throwable notStarted = attempt(head);
      if (notStarted == null) {
        backoff = MIN_BACKOFF_NANOS;
        lastError = null;
        synchronized (lock) {
          if (queue.peekFirst() == head) {
            queue.pollFirst();
          }
        }
        continue;
      }
      // Kafka is away: the head waits and is tried again, the events behind it keep their order
      retries.incrementAndGet();
      lastError = notStarted;
      synchronized (lock) {
        long now = System.nanoTime();
        long until = Math.min(head.deadline - now, backoff);
        if (closing) {
          until = Math.min(until, closeDeadline - now);
        }
        if (until > 0) {
          waitQuietly(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until)));
        }
      }
      backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
    }
    // close() ran out of time: what is still queued was never handed to Kafka
    failQueued("the publisher closed before Kafka took the event");
  }

  /**
   * Hands {@code head} to the producer; null if it did (or Kafka refused it for good: then it is
   * failed), else the retriable error that kept the send from starting.
   */
  private Throwable attempt(Pending head) {
    Throwable[] sync = new Throwable[1];
    inProducer.add(head);
    try {
      producer.send(
          head.record,
          (metadata, error) -> {
            if (error != null && Thread.currentThread() == sender) {
              // called back from inside send(): the send did not start
              sync[0] = error;
            } else if (error == null) {
              finish(head, null);
            } else {
              finish(head, notAcknowledged(error));
            }
          });
    } catch (RuntimeException e) {
      sync[0] = e;
    }
    Throwable error = sync[0];
    if (error == null) {
      return null;
    }
    inProducer.remove(head);
    if (error instanceof RetriableException) {
      return error;
    }
    finish(head, notAcknowledged(error));
    return null;
  }

  /** The failure of a send the producer gave up on. */
  private PublishException notAcknowledged(Throwable error) {
    if (isClosing()) {
      return failure(
          PublishException.Reason.CLOSED,
          "the publisher closed before Kafka acknowledged the event: " + error.getMessage(),
          error);
    }
    if (error instanceof TimeoutException) {
      // expired in the producer after delivery.timeout.ms: Kafka was away all that time
      return failure(
          PublishException.Reason.TIMED_OUT,
          "Kafka did not acknowledge the event within "
              + config.deliveryTimeout()
              + ": "
              + error.getMessage(),
          error);
    }
    return failure(
        PublishException.Reason.REJECTED, "Kafka refused the event: " + error.getMessage(), error);
  }

  private PublishException failure(PublishException.Reason reason, String why, Throwable cause) {
    return new PublishException(
        reason, "event for topic " + topic + " not published: " + why, cause);
  }

  /** Completes {@code pending} once and gives its room in the buffer back. */
  private void finish(Pending pending, PublishException error) {
    if (!pending.done.compareAndSet(false, true)) {
      return;
    }
    inProducer.remove(pending);
    synchronized (lock) {
      bufferedEvents--;
      bufferedBytes -= pending.size;
    }
    if (error == null) {
      pending.result.complete(null);
    } else {
      pending.result.completeExceptionally(error);
    }
  }

  private void failQueued(String why) {
    List<Pending> left;
    synchronized (lock) {
      left = new ArrayList<>(queue);
      queue.clear();
    }
    for (Pending p : left) {
      finish(p, failure(PublishException.Reason.CLOSED, why, null));
    }
  }

  private boolean isClosing() {
    synchronized (lock) {
      return closing;
    }
  }

  private void waitQuietly(long millis) {
    try {
      lock.wait(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interaction publisher interrupted", e);
    }
  }

  /** Sends what is buffered, then closes the producer, waiting up to 30 s. */
  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  /**
   * Stops taking events (they fail with {@code CLOSED}), sends what is buffered and closes the
   * producer, waiting up to {@code timeout}. Events Kafka has not acknowledged by then fail with
   * {@code CLOSED}: none is left without an answer.
   */
  public void close(Duration timeout) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      closing = true;
      closeDeadline = deadline;
      lock.notifyAll();
    }
    try {
      sender.join(Math.max(1, timeout.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long left = Math.max(0, deadline - System.nanoTime());
    // close(timeout) sends what the producer holds within the time left; a flush() first would
    // wait without a bound for a cluster that is away
    producer.close(Duration.ofNanos(left));
    failQueued("the publisher closed before Kafka took the event");
    for (Pending p : List.copyOf(inProducer)) {
      finish(
          p,
          failure(
              PublishException.Reason.CLOSED,
              "the publisher closed before Kafka acknowledged the event",
              null));
    }
  }

  /** One event in the buffer. */
  private static final class Pending {
    final ProducerRecord<String, byte[]> record;
    final long size;
    final long deadline;
    final CompletableFuture<Void> result;
    final AtomicBoolean done = new AtomicBoolean();

    Pending(
        ProducerRecord<String, byte[]> record,
        long size,
        long deadline,
        CompletableFuture<Void> result) {
      this.record = record;
      this.size = size;
      this.deadline = deadline;
      this.result = result;
    }
  }
}
