package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.flink.EmbeddedFlink;
import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.Topics;
import dev.agentfactory.edge.config.ConfigSource;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.testing.TestPorts;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node that submitted the pipeline job to an external Flink cluster hands it over when it
 * leaves a cluster whose other members stay: the job keeps running (no savepoint, no stop) and the
 * node that adopted it keeps tracking it. Before, the submitter stopped it at its shutdown and the
 * whole cluster's data plane paused until some node submitted it again; when the submitter was
 * scaled away for good, nothing did. A node also creates the topics it needs on a new external
 * Kafka cluster. Real components: a Kafka broker and a Flink MiniCluster started apart from the
 * nodes (external to both, as in k8s/), two nodes joined in one Hazelcast cluster, the real
 * pipeline job jar.
 */
class PipelineHandoverIT {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @TempDir Path dir;
  private EmbeddedKafka kafka;
  private EmbeddedFlink flink;
  private AgentFactoryNode first;
  private AgentFactoryNode second;

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {second, first, flink, kafka}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  void theSubmitterLeavesItsJobRunningForTheNodeThatStaysAndTheLastNodeStopsNothingItAdopted()
      throws Exception {
    kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0);
    flink = EmbeddedFlink.start(dir.resolve("flink"), 0, Map.of());
    FlinkRestClient rest = new FlinkRestClient(flink.restUrl());
    first = node("first", TestPorts.free(), null);
    String jobId = running(rest).id();
    assertThat(health(first).at("/components/flink_job/detail/adopted").isMissingNode()).isTrue();

    second = node("second", TestPorts.free(), TestNodes.clusterAddress(first));
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> health(second).at("/components/hazelcast/detail/members").asInt() == 2);
    JsonNode adopted = health(second).at("/components/flink_job/detail");
    assertThat(adopted.path("job_id").asText()).as(adopted.toString()).isEqualTo(jobId);
    assertThat(adopted.has("adopted")).as(adopted.toString()).isTrue();

    first.close();

    // still the same job, running: the submitter neither stopped it nor took a savepoint
    assertThat(running(rest).id()).isEqualTo(jobId);
    assertThat(dir.resolve("first").resolve("flink").resolve("last-savepoint")).doesNotExist();
    // the node that stays still tracks it, and sees it up; its next probes come every second
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> health(second).at("/components/hazelcast/detail/members").asInt() == 1);
    JsonNode tracked = health(second).at("/components/flink_job");
    assertThat(tracked.path("status").asText()).as(tracked.toString()).isEqualTo("UP");
    assertThat(tracked.at("/detail/job_id").asText()).isEqualTo(jobId);

    // the node left alone had adopted the job: it leaves it running too, as before
    second.close();
    second = null;
    assertThat(running(rest).id()).isEqualTo(jobId);
    rest.cancel(jobId).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aNodeAloneOnAnExternalFlinkStillStopsTheJobItSubmittedWithASavepoint() throws Exception {
    kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0);
    flink = EmbeddedFlink.start(dir.resolve("flink"), 0, Map.of());
    FlinkRestClient rest = new FlinkRestClient(flink.restUrl());
    assertThat(kafka.listTopics()).isEmpty();
    first = node("first", TestPorts.free(), null);
    String jobId = running(rest).id();
    // a new external Kafka has none of the topics: the node created them (the broker creates
    // none here, auto.create.topics.enable=false), or the job's source would fail without end
    assertThat(kafka.listTopics())
        .contains(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ, Topics.EVAL_LIVE);
    // closed at once: the job's tasks may still be deploying, when Flink refuses a savepoint; the
    // stop triggers it again until they run
    first.close();

    // Flink's job list, not its cached GET /jobs/{id}, which says RUNNING for a moment after
    assertThat(rest.listJobs().toCompletableFuture().get(30, TimeUnit.SECONDS))
        .filteredOn(j -> j.id().equals(jobId))
        .extracting(JobSummary::state)
        .containsExactly("FINISHED");
    assertThat(dir.resolve("first").resolve("flink").resolve("last-savepoint")).isRegularFile();
  }

  private AgentFactoryNode node(String name, int clusterPort, String members) {
    String jar = System.getProperty("af.test.pipeline.jar");
    assertThat(jar).as("af.test.pipeline.jar (set by failsafe)").isNotNull();
    Map<String, String> options = new HashMap<>();
    options.put("http.port", "0");
    options.put("data.dir", dir.resolve(name).toString());
    options.put("kafka.bootstrap.servers", kafka.bootstrapServers());
    options.put("flink.rest.url", flink.restUrl().toString());
    options.put("flink.savepoints.dir", dir.resolve("savepoints").toUri().toString());
    options.put("flink.pipeline.jar", jar);
    options.put("flink.checkpoint.interval.ms", "1000");
    options.put("sandbox.isolation", "process");
    options.put("sandbox.pool.size", "1");
    options.put("cluster.port", Integer.toString(clusterPort));
    if (members != null) {
      options.put("cluster.members", members);
    }
    return AgentFactoryNode.start(NodeConfig.from(new ConfigSource(options, Map.of(), Map.of())));
  }

  /** The one pipeline job Flink lists as not ended. */
  private static JobSummary running(FlinkRestClient rest) throws Exception {
    List<JobSummary> jobs =
        rest.runningJobs(PipelineConfig.JOB_NAME).toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(jobs).hasSize(1);
    return jobs.get(0);
  }

  /** The node's {@code GET /health}. */
  private static JsonNode health(AgentFactoryNode node) throws Exception {
    HttpResponse<String> health =
        TestHttp.client()
            .send(
                HttpRequest.newBuilder(URI.create(node.httpUrl() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
    return MAPPER.readTree(health.body());
  }
}
