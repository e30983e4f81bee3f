package dev.agentfactory.edge.eval;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds a {@link LiveEvalBoard} from the live evaluation topic on its own thread ({@code
 * af-eval-live}), so the event loop never waits on Kafka. No consumer group: every node reads every
 * partition, starting a little before the end ({@link #REWIND} records per partition) so that a
 * freshly started node has a snapshot at once. Records that are not metrics are counted and
 * skipped, never fatal. A failure of the consumer itself (a broker away while the partitions are
 * read, an error Kafka does not retry) is logged and counted, and the feed starts over after a
 * back-off of 1 s doubling to 30 s, rewinding again: the board keeps only the newest window of a
 * series, so records read twice change nothing. A topic that does not exist yet (an external Kafka:
 * the node creates topics only on its embedded broker) is looked up again after the same back-off,
 * and logged once until it appears, so a missing topic never makes the feed hammer the broker.
 */
public final class LiveEvalConsumer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LiveEvalConsumer.class);

  /** Records re-read per partition at start: the windows of the last minute or so. */
  static final long REWIND = 500;

  static final long FIRST_BACKOFF_MS = 1_000;
  static final long MAX_BACKOFF_MS = 30_000;

  private final Consumer<byte[], byte[]> consumer;
  private final String topic;
  private final LiveEvalBoard board;
  private final Thread thread;
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final Object sleeper = new Object();
  private final Pause pause;
  private volatile boolean closed;

  /** Waits between attempts; a test may record the waits instead. */
  @FunctionalInterface
  interface Pause {
    /** Waits {@code ms}, or less once the feed is closed. */
    void pause(long ms) throws InterruptedException;
  }

  public LiveEvalConsumer(String bootstrapServers, String topic, LiveEvalBoard board) {
    this(consumer(bootstrapServers), topic, board);
  }

  LiveEvalConsumer(Consumer<byte[], byte[]> consumer, String topic, LiveEvalBoard board) {
    this(consumer, topic, board, null);
  }

  /**
   * @param pause how the feed waits between attempts; null: a wait that {@link #close} cuts short
   */
  LiveEvalConsumer(
      Consumer<byte[], byte[]> consumer, String topic, LiveEvalBoard board, Pause pause) {
    this.topic = topic;
    this.board = board;
    this.consumer = consumer;
    this.pause = pause != null ? pause : this::sleep;
    this.thread = new Thread(this::run, "af-eval-live");
    this.thread.setDaemon(true);
  }

  static Consumer<byte[], byte[]> consumer(String bootstrapServers) {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false,
            ConsumerConfig.CLIENT_ID_CONFIG,
            "af-eval-live"),
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }

  public LiveEvalConsumer start() {
    thread.start();
    return this;
  }

  /** Records on the topic that were not valid metrics. */
  public long rejected() {
    return rejected.get();
  }

  /** Times the feed failed and started over. */
  public long failures() {
    return failures.get();
  }

  private void run() {
    long backoff = FIRST_BACKOFF_MS;
    try {
      while (!closed && !Thread.currentThread().isInterrupted()) {
        try {
          if (!assignAll()) {
            return; // closed or interrupted while waiting for the topic
          }
          while (!closed) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
              accept(record);
            }
            backoff = FIRST_BACKOFF_MS;
          }
        } catch (WakeupException e) {
          if (closed) {
            return;
          }
          fail(e, backoff);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        } catch (RuntimeException e) {
          fail(e, backoff);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        }
      }
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  private void fail(RuntimeException e, long backoffMs) {
    long n = failures.incrementAndGet();
    LOG.warn(
        "live evaluation feed from {} failed ({} so far); starting over in {} ms",
        topic,
        n,
        backoffMs,
        e);
    backOff(backoffMs);
  }

  /** Waits {@code ms} unless closed; false when the wait was interrupted. */
  private boolean backOff(long ms) {
    try {
      pause.pause(ms);
      return true;
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void sleep(long ms) throws InterruptedException {
    synchronized (sleeper) {
      long until = System.nanoTime() + ms * 1_000_000;
      long left;
      while (!closed && (left = until - System.nanoTime()) > 0) {
        sleeper.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  /**
   * Waits for the topic's partitions (the pipeline or an operator may create it later), looking
   * again after a back-off of 1 s doubling to 30 s, then rewinds each; false if closed or
   * interrupted first.
   */
  private boolean assignAll() {
    List<TopicPartition> partitions = new ArrayList<>();
    long backoff = FIRST_BACKOFF_MS;
    boolean logged = false;
    while (!closed) {
      String missing;
      try {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
        if (infos != null) {
          infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        missing = "it does not exist";
      } catch (TimeoutException e) {
        missing = e.getMessage();
      }
      if (!partitions.isEmpty()) {
        break;
      }
      if (!logged) {
        LOG.info(
            "waiting for the live evaluation topic {} ({}); looking again every {} s at most,"
                + " logged once",
            topic,
            missing,
            MAX_BACKOFF_MS / 1000);
        logged = true;
      }
      if (!backOff(backoff)) {
        return false;
      }
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
    if (closed) {
      return false;
    }
    if (logged) {
      LOG.info("the live evaluation topic {} exists now: reading it", topic);
    }
    consumer.assign(partitions);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    Map<TopicPartition, Long> starts = consumer.beginningOffsets(partitions);
    for (TopicPartition p : partitions) {
      consumer.seek(p, Math.max(starts.get(p), ends.get(p) - REWIND));
    }
    return true;
  }

  private void accept(ConsumerRecord<byte[], byte[]> record) {
    try {
      board.update(LiveMetric.parse(new String(record.value(), StandardCharsets.UTF_8)));
    } catch (IllegalArgumentException | NullPointerException e) {
      long n = rejected.incrementAndGet();
      if (n == 1 || n % 1000 == 0) {
        LOG.warn(
            "{} invalid record(s) on {}, latest at {}/{}: {}",
            n,
            topic,
            record.partition(),
            record.offset(),
            e.getMessage());
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    synchronized (sleeper) {
      sleeper.notifyAll();
    }
    consumer.wakeup();
    thread.join(5_000);
  }
}
