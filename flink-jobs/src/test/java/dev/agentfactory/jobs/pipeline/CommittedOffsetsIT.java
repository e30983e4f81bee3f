package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.flink.EmbeddedFlink;
import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fallback docs/operations.md promises when no savepoint or checkpoint can be resumed from
 * ("starts from the consumer group's committed offsets: no row is written twice") needs the job's
 * Kafka source to commit its position to the consumer group on every completed checkpoint. The
 * shaded job jar runs on an embedded Flink against an embedded Kafka; an admin client, as an
 * operator would, must then see the job's group ({@code --group-id}) with the consumed position.
 */
class CommittedOffsetsIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String GROUP = "it-committed-offsets";
  private static final int RECORDS = 30;

  @TempDir Path dataDir;

  @Test
  void onAMiniClusterTheGroupHasTheConsumedPositionAndARestartWithoutSavepointReadsOn()
      throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), 0);
        EmbeddedFlink flink =
            EmbeddedFlink.start(
                dataDir.resolve("flink"), 0, Map.of("restart-strategy.type", "none"))) {
      scenario(kafka, new FlinkRestClient(flink.restUrl()));
    }
  }

  /** The colleague's setup: JobManager and TaskManager in JVMs of their own. */
  @Test
  void onASessionClusterTheGroupHasTheConsumedPositionAndARestartWithoutSavepointReadsOn()
      throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), 0);
        FlinkSessionCluster flink =
            FlinkSessionCluster.start(
                dataDir.resolve("flink"), List.of("restart-strategy.type: none"), false)) {
      FlinkRestClient rest = new FlinkRestClient(flink.restUrl());
      try {
        awaitTrue("a TaskManager registered", () -> taskManagers(flink.restUrl()) == 1);
        scenario(kafka, rest);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(e.getMessage() + "; " + flink.keepLogs("committed-offsets"), e);
      }
    }
  }

  private void scenario(EmbeddedKafka kafka, FlinkRestClient rest) throws Exception {
    kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ, Topics.EVAL_LIVE);
    PipelineConfig config =
        new PipelineConfig(
            kafka.bootstrapServers(),
            Topics.INTERACTIONS,
            Topics.INTERACTIONS_DLQ,
            dataDir.resolve("datasets").toUri().toString(),
            500,
            GROUP);
    TopicPartition partition = new TopicPartition(Topics.INTERACTIONS, 0);
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      String jarId =
          rest.uploadJar(JobJar.shaded()).toCompletableFuture().get(120, TimeUnit.SECONDS);
      String first =
          rest.runJar(jarId, config.toArgs()).toCompletableFuture().get(120, TimeUnit.SECONDS);
      awaitTrue("job running", () -> "RUNNING".equals(state(rest, first)));

      // What the job reads does not matter here (these become dead letters): only its position.
      publish(kafka, 0, RECORDS);
      awaitTrue(
          "the group " + GROUP + " to have committed offset " + RECORDS,
          () -> committed(admin, partition) == RECORDS && "RUNNING".equals(state(rest, first)));
      assertThat(groups(admin)).as("the admin client lists the job's group").contains(GROUP);

      rest.cancel(first).toCompletableFuture().get(60, TimeUnit.SECONDS);
      awaitTrue("job cancelled", () -> "CANCELED".equals(state(rest, first)));
      assertThat(committed(admin, partition))
          .as("the committed offset outlives the job")
          .isEqualTo(RECORDS);

      // A start without savepoint, as the node's fallback: from the committed offset on. Once the
      // group has committed the one new record, a checkpoint completed after the dead-letter sink
      // flushed everything read so far: a re-read from the earliest offset would show as doubles.
      String second =
          rest.runJar(jarId, config.toArgs()).toCompletableFuture().get(120, TimeUnit.SECONDS);
      awaitTrue("second job running", () -> "RUNNING".equals(state(rest, second)));
      publish(kafka, RECORDS, RECORDS + 1);
      awaitTrue(
          "the group " + GROUP + " to have committed offset " + (RECORDS + 1),
          () ->
              committed(admin, partition) == RECORDS + 1 && "RUNNING".equals(state(rest, second)));
      assertThat(endOffset(admin, new TopicPartition(Topics.INTERACTIONS_DLQ, 0)))
          .as("dead letters: every record once, none read again")
          .isEqualTo(RECORDS + 1);
      rest.cancel(second).toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  private static long endOffset(Admin admin, TopicPartition partition) throws Exception {
    return admin
        .listOffsets(Map.of(partition, OffsetSpec.latest()))
        .partitionResult(partition)
        .get(30, TimeUnit.SECONDS)
        .offset();
  }

  private static int taskManagers(URI base) {
    try {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(base.resolve("/taskmanagers"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        return 0;
      }
      return new ObjectMapper().readTree(response.body()).path("taskmanagers").size();
    } catch (IOException e) {
      return 0; // not up yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static long committed(Admin admin, TopicPartition partition) {
    try {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin
              .listConsumerGroupOffsets(GROUP)
              .partitionsToOffsetAndMetadata()
              .get(30, TimeUnit.SECONDS);
      OffsetAndMetadata offset = offsets.get(partition);
      return offset == null ? -1 : offset.offset();
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the group's offsets", e);
    }
  }

  private static Set<String> groups(Admin admin) throws Exception {
    return admin.listGroups().all().get(30, TimeUnit.SECONDS).stream()
        .map(GroupListing::groupId)
        .collect(Collectors.toSet());
  }

  private static void publish(EmbeddedKafka kafka, int from, int to) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class))) {
      for (int i = from; i < to; i++) {
        producer
            .send(
                new ProducerRecord<>(
                    Topics.INTERACTIONS, ("not an event " + i).getBytes(StandardCharsets.UTF_8)))
            .get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static String state(FlinkRestClient rest, String jobId) {
    JobSummary job = rest.job(jobId).toCompletableFuture().join();
    if ("FAILED".equals(job.state())) {
      throw new AssertionError("job failed: " + job);
    }
    return job.state();
  }

  /** Polls {@code condition} every 100 ms until it holds or {@link #TIMEOUT} passes. */
  private static void awaitTrue(String what, BooleanSupplier condition)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(TIMEOUT);
    Object lock = new Object();
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out waiting for " + what);
      }
      synchronized (lock) {
        lock.wait(100); // a poll interval, not a sleep-and-hope: the deadline bounds it
      }
    }
  }
}
