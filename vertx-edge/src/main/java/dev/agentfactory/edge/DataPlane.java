package dev.agentfactory.edge;

import dev.agentfactory.cluster.ClusterNode;
import dev.agentfactory.connectors.dataset.version.Lineage;
import dev.agentfactory.connectors.flink.EmbeddedFlink;
import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.SavepointLog;
import dev.agentfactory.connectors.kafka.TopicSetup;
import dev.agentfactory.connectors.kafka.Topics;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.edge.eval.LiveEvalBoard;
import dev.agentfactory.edge.eval.LiveEvalConsumer;
import dev.agentfactory.edge.health.ComponentStatus;
import dev.agentfactory.edge.health.KafkaProbe;
import dev.agentfactory.edge.health.NodeHealth;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.pipeline.PipelineJob;
import dev.agentfactory.edge.pipeline.PipelineMetrics;
import dev.agentfactory.edge.pipeline.PipelineProbe;
import dev.agentfactory.edge.session.InteractionRecorder;
import dev.agentfactory.edge.session.KafkaInteractionRecorder;
import dev.agentfactory.edge.session.TurnStore;
import dev.agentfactory.edge.session.TurnStoreRecorder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's data plane: the Kafka broker (embedded, or an external cluster), the Flink cluster
 * (likewise), the publisher of interaction events, the live evaluation feed and the interaction
 * pipeline job, with their health and metrics.
 */
final class DataPlane {

  // the node's log category, as before this class was split out of it
  private static final Logger LOG = LoggerFactory.getLogger(AgentFactoryNode.class);

  /**
   * The topics a node and its pipeline job use: the broker's default partitions and replication,
   * except for the compacted savepoint log.
   */
  private static final List<NewTopic> TOPICS =
      List.of(
          new NewTopic(Topics.INTERACTIONS, Optional.empty(), Optional.empty()),
          new NewTopic(Topics.INTERACTIONS_DLQ, Optional.empty(), Optional.empty()),
          new NewTopic(Topics.EVAL_LIVE, Optional.empty(), Optional.empty()),
          SavepointLog.TOPIC);

  /** How long start-up waits for an external Kafka cluster to list its topics. */
  private static final Duration KAFKA_WAIT = Duration.ofMinutes(2);

  private final NodeConfig config;
  private final Vertx vertx;
  private final NodeHealth health;
  private final EdgeMetrics metrics;
  private final LiveEvalBoard evalBoard;
  private final StartGuard guard;
  // set as each comes up; the node closes them in its fixed order
  private volatile InteractionPublisher publisher;
  private volatile EmbeddedFlink flink;
  private volatile EmbeddedKafka kafka;
  private volatile KafkaProbe kafkaProbe;
  private volatile LiveEvalConsumer evalFeed;
  private volatile PipelineJob pipeline;
  private volatile PipelineProbe pipelineProbe;
  private volatile PipelineMetrics pipelineMetrics;
  private volatile FlinkRestClient flinkRest;
  private String kafkaBootstrap;
  private URI flinkRestUrl;

  /**
   * Whether the deletion of what earlier runs left is in flight ({@link
   * PipelineJob#pruneEarlierRuns()}, once for each job, after its first checkpoint).
   */
  private final AtomicBoolean pruning = new AtomicBoolean();

  DataPlane(
      NodeConfig config,
      Vertx vertx,
      NodeHealth health,
      EdgeMetrics metrics,
      LiveEvalBoard evalBoard,
      StartGuard guard) {
    this.config = config;
    this.vertx = vertx;
    this.health = health;
    this.metrics = metrics;
    this.evalBoard = evalBoard;
    this.guard = guard;
  }

  /** Starts or reaches Kafka, with the topics; returns its bootstrap servers. */
  String startKafka() {
    Optional<String> external = config.kafkaBootstrapServers();
    if (external.isPresent()) {
      // STARTING until the probe hears from the cluster: start-up waits for it
      guard.adopt(
          KafkaProbe.create(external.get(), "external", () -> publisher), p -> kafkaProbe = p);
      // a new cluster has none of them, and the pipeline job cannot start on a missing topic
      TopicSetup.ensureExist(external.get(), KAFKA_WAIT, TOPICS);
      return external.get();
    }
    EmbeddedKafka embedded =
        guard.adopt(
            EmbeddedKafka.start(config.dataDir().resolve("kafka"), config.kafkaPort()),
            k -> this.kafka = k);
    embedded.createTopics(TOPICS);
    guard.adopt(
        KafkaProbe.create(embedded.bootstrapServers(), "embedded", () -> publisher),
        p -> kafkaProbe = p);
    health.report(
        NodeHealth.KAFKA,
        ComponentStatus.up(
            Map.of("bootstrap_servers", embedded.bootstrapServers(), "mode", "embedded")));
    return embedded.bootstrapServers();
  }

  /** Starts the embedded Flink, or names the external one; returns its REST address. */
  URI startFlink() {
    Optional<String> external = config.flinkRestUrl();
    if (external.isPresent()) {
      return URI.create(external.get());
    }
    EmbeddedFlink started =
        guard.adopt(
            EmbeddedFlink.start(config.dataDir().resolve("flink"), config.flinkPort(), Map.of()),
            f -> this.flink = f);
    return started.restUrl();
  }

  /** Where Kafka and Flink are, once both started (null each with the data plane off). */
  void reached(String kafkaBootstrap, URI flinkRestUrl) {
    this.kafkaBootstrap = kafkaBootstrap;
    this.flinkRestUrl = flinkRestUrl;
  }

  /**
   * Starts the publisher of interaction events, the live evaluation feed and the pipeline job;
   * returns the recorder sessions hand their interactions to.
   */
  InteractionRecorder startRecording(TurnStore turnStore) {
    InteractionPublisher published =
        guard.adopt(
            InteractionPublisher.create(
                kafkaBootstrap, Topics.INTERACTIONS, config.publisher(), Map.of()),
            p -> publisher = p);
    metrics.gauge(
        "af_events_buffered",
        "Interaction events waiting for Kafka's acknowledgement on this node",
        "topic",
        Topics.INTERACTIONS,
        published::bufferedEvents);
    metrics.gauge(
        "af_events_buffered_bytes",
        "Bytes of the interaction events waiting for Kafka's acknowledgement on this node",
        "topic",
        Topics.INTERACTIONS,
        published::bufferedBytes);
    metrics.counter(
        "af_event_publish_retries",
        "Times an interaction event could not be handed to Kafka (away) and was tried again",
        "topic",
        Topics.INTERACTIONS,
        published::retries);
    LiveEvalConsumer feed = new LiveEvalConsumer(kafkaBootstrap, Topics.EVAL_LIVE, evalBoard);
    guard.adopt(feed.start(), f -> evalFeed = f);
    metrics.gauge(
        "af_eval_live_feed_failures",
        "Times the live evaluation feed failed and started over",
        "topic",
        Topics.EVAL_LIVE,
        feed::failures);
    metrics.gauge(
        "af_eval_live_rejected_records",
        "Records on the live evaluation topic that were not valid metrics",
        "topic",
        Topics.EVAL_LIVE,
        feed::rejected);
    startPipeline();
    return new TurnStoreRecorder(new KafkaInteractionRecorder(vertx, publisher), turnStore);
  }

  /** The data plane is off: says so in /health; returns a recorder that records nothing. */
  InteractionRecorder off() {
    // Said in /health, not only in a log line: nothing this node serves becomes a dataset.
    Map<String, Object> off = Map.of("reason", "data.enabled=false: interactions not recorded");
    health.report(NodeHealth.KAFKA, ComponentStatus.off(off));
    health.report(NodeHealth.FLINK_JOB, ComponentStatus.off(off));
    LOG.warn("data plane off (data.enabled=false): sessions are served, nothing is recorded");
    return record -> Future.succeededFuture();
  }

  private void startPipeline() {
    Path jar =
        config
            .pipelineJar()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "flink.pipeline.jar is not set: start the node with ./agent-factory up,"
                            + " which builds and passes the job jar"));
    // every stop names the directory: an external cluster may have no default savepoint dir
    flinkRest =
        new FlinkRestClient(flinkRestUrl).withSavepointDirectory(config.flinkSavepointsDir());
    SavepointLog savepointLog = new SavepointLog(kafkaBootstrap, Duration.ofSeconds(30));
    PipelineJob job =
        new PipelineJob(
            flinkRest,
            jar,
            config.dataDir().resolve("flink").resolve("last-savepoint"),
            Optional.ofNullable(flink).map(EmbeddedFlink::checkpointsDir),
            flink == null ? Optional.empty() : config.localSavepointsDir(),
            config.savepointsRetained(),
            kafkaBootstrap,
            config.datasetsDir(),
            config.checkpointIntervalMs(),
            config.judge(),
            Optional.of(savepointLog));
    String jobId;
    try {
      // nodes sharing one Flink cluster share one pipeline job: the first submits it, the others
      // adopt it
      jobId = job.submitOrAdopt().toCompletableFuture().get(2, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException("the pipeline job was not accepted by Flink: " + e, e);
    }
    pipelineProbe =
        new PipelineProbe(
            job,
            flinkRestUrl,
            Optional.of(savepointLog),
            vertx.createSharedWorkerExecutor("af-pipeline-probe", 1),
            PipelineProbe.NOT_RUNNING_BOUND);
    pipelineMetrics = new PipelineMetrics(job, flinkRest, metrics, PipelineMetrics.REFRESH);
    // Published once it runs: until then POST /v1/jobs answers 503 starting, never a second job.
    pipeline = job;
    LOG.info(
        "pipeline job {} {} {}",
        jobId,
        job.adopted() ? "adopted (submitted by another node) on" : "submitted to",
        flinkRestUrl);
  }

  /**
   * Which job wrote the files, its latest completed checkpoint (asked right after a cut listed the
   * files, so that checkpoint or an earlier one committed each of them), the savepoint it last
   * resumed from and the judge that labelled the rows, for a version cut. Runs on a worker thread.
   */
  Lineage lineage() {
    PipelineJob job = pipeline;
    // the savepoint the running job actually started from, not merely the one last recorded
    String savepoint = job == null ? null : job.resumedFrom().orElse(null);
    String jobId = job == null ? null : job.jobId();
    Long checkpoint = null;
    FlinkRestClient rest = flinkRest;
    if (jobId != null && rest != null) {
      try {
        checkpoint =
            rest.latestCompletedCheckpoint(jobId)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .orElse(null);
      } catch (Exception e) {
        LOG.warn("no checkpoint id for the cut's lineage: Flink did not say ({})", e.toString());
      }
    }
    return new Lineage(jobId, checkpoint, savepoint, List.of(), config.judge().version());
  }

  /**
   * Refreshes the health of Kafka and the pipeline job, and the pipeline's metrics; deletes what
   * earlier runs left once the job checkpointed. Never blocks.
   */
  void probe() {
    KafkaProbe kafkaUp = kafkaProbe;
    if (kafkaUp != null) {
      kafkaUp.probe(health); // asks Kafka at most every few seconds, never on this thread
    }
    if (pipeline == null) {
      return; // data plane off: nothing to probe
    }
    if (pruning.compareAndSet(false, true)) {
      // a no-op without a call to Flink once it ran for the job submitted last
      pipeline
          .pruneEarlierRuns()
          .whenComplete(
              (done, e) -> {
                if (e != null) {
                  // Flink did not answer: /health says so; the next probe tries again
                  LOG.debug("cannot prune what earlier pipeline runs left yet", e);
                }
                pruning.set(false);
              });
    }
    pipelineProbe.probe(health); // never blocks: Flink and Kafka answer on their threads
    pipelineMetrics.refresh(); // the same, at most every few seconds
  }

  /** Whether Flink still deploys or restarts the pipeline job. */
  boolean deploying() {
    PipelineProbe probe = pipelineProbe;
    return probe != null && probe.deploying();
  }

  /**
   * How this node leaves its Flink cluster: the embedded one stops with it; other nodes keep using
   * an external one while the Hazelcast cluster has other members. Nodes of one cluster share one
   * Flink cluster (k8s/edge-statefulset.yaml); a member configured with another Flink would adopt
   * nothing, and the job left running here keeps running unattended until a node pointed at this
   * Flink adopts it or {@code DELETE /v1/jobs/{id}} stops it.
   */
  private PipelineJob.Leaving leaving(ClusterNode cluster) {
    if (flink != null) {
      return PipelineJob.Leaving.FLINK_STOPS_TOO;
    }
    return cluster != null && cluster.health().memberCount() > 1
        ? PipelineJob.Leaving.OTHERS_STAY
        : PipelineJob.Leaving.LAST_NODE;
  }

  /**
   * The node's shutdown: the pipeline stopped with a final savepoint (so every file is committed)
   * or left running for the other nodes, as {@link #leaving} says.
   */
  void stopPipeline(ClusterNode cluster) {
    if (pipeline == null) {
      return;
    }
    try {
      // left running for the other nodes that use an external Flink; stopped with a savepoint
      // when it is the last one, or when the embedded Flink stops with this node
      pipeline
          .shutdown(leaving(cluster))
          .toCompletableFuture()
          .get(AgentFactoryNode.STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
          .ifPresent(
              savepoint ->
                  LOG.info("pipeline job stopped with a final savepoint at {}", savepoint));
    } catch (Exception e) {
      LOG.warn(
          "pipeline job did not stop with a savepoint; files of the last interval may"
              + " stay uncommitted",
          e);
    }
  }

  PipelineJob pipeline() {
    return pipeline;
  }

  FlinkRestClient flinkRest() {
    return flinkRest;
  }

  String kafkaBootstrap() {
    return kafkaBootstrap;
  }

  URI flinkRestUrl() {
    return flinkRestUrl;
  }

  LiveEvalConsumer evalFeed() {
    return evalFeed;
  }

  InteractionPublisher publisher() {
    return publisher;
  }

  KafkaProbe kafkaProbe() {
    return kafkaProbe;
  }

  EmbeddedFlink flink() {
    return flink;
  }

  EmbeddedKafka kafka() {
    return kafka;
  }
}
