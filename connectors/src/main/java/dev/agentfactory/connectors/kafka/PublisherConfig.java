package dev.agentfactory.connectors.kafka;

import java.time.Duration;

/**
 * Bounds of an {@link InteractionPublisher}: how many unacknowledged events (and bytes of them) it
 * holds, and how long an event may wait for Kafka before it fails.
 *
 * <pre>{@code
 * new PublisherConfig(10_000, 32L << 20, Duration.ofMinutes(2))
 * }</pre>
 *
 * @param maxBufferedEvents unacknowledged events (queued or in the producer) beyond which {@code
 *     publish} fails at once with {@link PublishException.Reason#BUFFER_FULL}
 * @param maxBufferedBytes the same bound in bytes of encoded events
 * @param deliveryTimeout how long an event may wait for Kafka to take it, and then (the producer's
 *     {@code delivery.timeout.ms}) to acknowledge it, before it fails with {@link
 *     PublishException.Reason#TIMED_OUT}
 */
public record PublisherConfig(
    int maxBufferedEvents, long maxBufferedBytes, Duration deliveryTimeout) {

  public static final int DEFAULT_MAX_BUFFERED_EVENTS = 10_000;
  public static final long DEFAULT_MAX_BUFFERED_BYTES = 64L << 20;
  public static final Duration DEFAULT_DELIVERY_TIMEOUT = Duration.ofMinutes(2);

  /** A Kafka producer needs at least this to time out a request and retry it. */
  static final Duration MIN_DELIVERY_TIMEOUT = Duration.ofSeconds(1);

  public PublisherConfig {
    if (maxBufferedEvents < 1) {
      throw new IllegalArgumentException(
          "maxBufferedEvents must be at least 1 but was " + maxBufferedEvents);
    }
    if (maxBufferedBytes < 1) {
      throw new IllegalArgumentException(
          "maxBufferedBytes must be at least 1 but was " + maxBufferedBytes);
    }
    if (deliveryTimeout.compareTo(MIN_DELIVERY_TIMEOUT) < 0) {
      throw new IllegalArgumentException(
          "deliveryTimeout must be at least "
              + MIN_DELIVERY_TIMEOUT
              + " but was "
              + deliveryTimeout);
    }
  }

  /** 10,000 events, 64 MiB, 2 minutes. */
  public static PublisherConfig defaults() {
    return new PublisherConfig(
        DEFAULT_MAX_BUFFERED_EVENTS, DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_DELIVERY_TIMEOUT);
  }
}
