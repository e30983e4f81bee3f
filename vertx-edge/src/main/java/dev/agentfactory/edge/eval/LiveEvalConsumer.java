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
 * series, so records read twice change nothing.
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
  private volatile boolean closed;

  public LiveEvalConsumer(String bootstrapServers, String topic, LiveEvalBoard board) {
    this(consumer(bootstrapServers), topic, board);
  }

  LiveEvalConsumer(Consumer<byte[], byte[]> consumer, String topic, LiveEvalBoard board) {
    this.topic = topic;
    this.board = board;
    this.consumer = consumer;
    this.thread = new Thread(this::run, "af-eval-live");
    this.thread.setDaemon(true);
  }

  private static Consumer<byte[], byte[]> consumer(String bootstrapServers) {
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
          assignAll();
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
    synchronized (sleeper) {
      long until = System.nanoTime() + backoffMs * 1_000_000;
      long left;
      while (!closed && (left = until - System.nanoTime()) > 0) {
        try {
          sleeper.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** Waits for the topic's partitions (the pipeline may create it later), then rewinds each. */
  private void assignAll() {
    List<TopicPartition> partitions = new ArrayList<>();
    while (partitions.isEmpty() && !closed) {
      try {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
        if (infos != null) {
          infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
      } catch (TimeoutException e) {
        LOG.info("waiting for the live evaluation topic {}: {}", topic, e.getMessage());
      }
    }
    consumer.assign(partitions);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    Map<TopicPartition, Long> starts = consumer.beginningOffsets(partitions);
    for (TopicPartition p : partitions) {
      consumer.seek(p, Math.max(starts.get(p), ends.get(p) - REWIND));
    }
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
