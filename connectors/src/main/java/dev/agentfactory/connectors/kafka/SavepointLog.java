package dev.agentfactory.connectors.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The savepoints the pipeline job was stopped with, on a compacted Kafka topic every node of a
 * cluster reads ({@link Topics#PIPELINE_SAVEPOINTS}, keyed by job name): the cluster's record of
 * where the job stopped last, whichever node stopped it.
 *
 * <p>Each node also keeps the path of the savepoints it took itself in its own data directory. That
 * alone is stale as soon as another node stopped the job later ({@code DELETE /v1/jobs/{id}} on one
 * node, {@code POST /v1/jobs} on the next one behind a load balancer): resuming from the older
 * savepoint rewinds the job's Kafka offsets and writes every row committed since then a second
 * time. Kafka is the store every node shares and that outlives all of them.
 *
 * <p>Not final: tests of its readers stand in for it (a record that cannot be read, or that counts
 * its reads); {@link #latest} reads through {@link #entries}.
 */
public class SavepointLog {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** How the topic is created: one partition, compacted (only the newest entry per job counts). */
  public static final NewTopic TOPIC =
      new NewTopic(Topics.PIPELINE_SAVEPOINTS, Optional.of(1), Optional.empty())
          .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));

  /**
   * One stop of the job.
   *
   * @param path the savepoint, as Flink reported it
   * @param takenAt when it completed, by the clock of the node that recorded it
   * @param jobId the job it was taken of
   */
  public record Entry(String path, Instant takenAt, String jobId) {}

  private final String bootstrapServers;
  private final Duration timeout;

  /**
   * @param bootstrapServers the cluster's Kafka
   * @param timeout how long one {@link #record} or {@link #latest} may wait for Kafka
   */
  public SavepointLog(String bootstrapServers, Duration timeout) {
    this.bootstrapServers = bootstrapServers;
    this.timeout = timeout;
  }

  /** Appends {@code entry} for {@code jobName}; returns once Kafka acknowledged it. */
  public void record(String jobName, Entry entry)
      throws ExecutionException, InterruptedException, TimeoutException {
    ObjectNode value = MAPPER.createObjectNode();
    value.put("path", entry.path());
    value.put("taken_at", entry.takenAt().toString());
    value.put("job_id", entry.jobId());
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    // delivery.timeout.ms must cover linger.ms + request.timeout.ms
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis() / 2);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      producer
          .send(new ProducerRecord<>(Topics.PIPELINE_SAVEPOINTS, jobName, value.toString()))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * The last entry for {@code jobName}: the topic read from its start to its current end. Empty
   * when there is none; entries that do not parse are passed over.
   */
  public Optional<Entry> latest(String jobName) {
    List<Entry> entries = entries(jobName);
    return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(entries.size() - 1));
  }

  /**
   * Every entry for {@code jobName} the topic still holds, oldest first: the topic read from its
   * start to its current end, in the log's order (not the nodes' clocks). Compaction keeps only the
   * newest entry of a key once the segment holding the older ones has rolled, so older stops may be
   * missing; entries that do not parse are passed over. Blocks for up to the timeout.
   */
  public List<Entry> entries(String jobName) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(Topics.PIPELINE_SAVEPOINTS, timeout).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .collect(Collectors.toList());
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      List<Entry> entries = new ArrayList<>();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p, timeout) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "Kafka at "
                  + bootstrapServers
                  + " did not serve "
                  + Topics.PIPELINE_SAVEPOINTS
                  + " within "
                  + timeout.toSeconds()
                  + " s");
        }
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          if (jobName.equals(record.key()) && record.value() != null) {
            parse(record.value()).ifPresent(entries::add);
          }
        }
      }
      return entries;
    }
  }

  private static Optional<Entry> parse(String value) {
    try {
      JsonNode json = MAPPER.readTree(value);
      return Optional.of(
          new Entry(
              json.path("path").asText(),
              Instant.parse(json.path("taken_at").asText()),
              json.path("job_id").asText()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
