package dev.agentfactory.bench.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.flink.EmbeddedFlink;
import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.PipelineConfig;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.Topics;
import dev.agentfactory.jobs.cli.CliArgs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The {@code pipeline} metrics as JSON lines: events/s through the whole data plane on this machine
 * (InteractionPublisher → Kafka → the pipeline job on Flink → committed Parquet) and end-to-end
 * freshness (event handed to {@link InteractionPublisher#publish} → its row visible in a committed
 * Parquet file).
 *
 * <pre>{@code
 * java <flink.jvm.args> -cp 'benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*' \
 *     dev.agentfactory.bench.pipeline.PipelineBench [events] [checkpoint-interval-ms]
 * }</pre>
 *
 * <p>Starts an {@link EmbeddedKafka} and an {@link EmbeddedFlink} (both on free ports, in a temp
 * dir that is deleted at the end), uploads the shaded job jar through {@link FlinkRestClient} and
 * runs it with a short checkpoint interval. A warm-up batch goes through first and is not measured.
 * Then {@code events} distinct interactions are published as fast as the publisher accepts them
 * (its queue is bounded, so at most {@link #MAX_IN_FLIGHT} are unacknowledged), and a poller lists
 * the committed part files (not the hidden in-progress ones) every {@code poll-ms} and reads the
 * {@code example_id} of each new file with DuckDB.
 *
 * <p>The live evaluation's freshness is measured per event ({@link EvalMatcher}) at two places:
 * where a dashboard sees it, the edge's WebSocket push ({@link EdgeEvalFreshness}), and on the
 * Kafka eval topic the edge reads ({@link EvalFreshness}).
 *
 * <p>Freshness is poll time − publish time, so its resolution is bounded by the checkpoint interval
 * (rows become visible only when a checkpoint commits their file) and by the poll interval.
 *
 * <p>Options (system properties): {@code -Dpipeline.jar=} the shaded job jar (default {@code
 * flink-jobs/target/flink-jobs-<version>-job.jar} if present, else the one in {@code ~/.m2}),
 * {@code -Dpipeline.events=20000}, {@code -Dpipeline.checkpoint.ms=1000}, {@code
 * -Dpipeline.poll.ms=100}, {@code -Dpipeline.warmup=500}, {@code -Dpipeline.timeout.s=90} (how long
 * to wait for the rows). The JVM needs the {@code flink.jvm.args} module flags of the root pom.
 */
public final class PipelineBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VERSION = "0.1.0-SNAPSHOT";
  private static final String JOB_JAR = "flink-jobs-" + VERSION + "-job.jar";

  /** Below the publisher's queue capacity (10 000), so publish never fails with a full queue. */
  static final int MAX_IN_FLIGHT = 5_000;

  private static int rate;

  private PipelineBench() {}

  /** A positional argument that must be a positive integer. */
  static int positive(String value, String name) {
    try {
      int n = Integer.parseInt(value.strip());
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below, with the name
    }
    throw new CliArgs.UsageException(name + " must be a positive integer, was '" + value + "'");
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 2) {
      throw new CliArgs.UsageException(
          "usage: bench pipeline [EVENTS [CHECKPOINT_MS]], got " + args.length + " arguments");
    }
    int events =
        args.length > 0
            ? positive(args[0], "EVENTS")
            : Integer.getInteger("pipeline.events", 20_000);
    long checkpointMs =
        args.length > 1
            ? positive(args[1], "CHECKPOINT_MS")
            : Long.getLong("pipeline.checkpoint.ms", 1000);
    long pollMs = Long.getLong("pipeline.poll.ms", 100);
    // 0: as fast as the publisher takes them (a saturation run); N: N events/s, paced
    rate = Integer.getInteger("pipeline.rate", 0);
    int warmup = Integer.getInteger("pipeline.warmup", 500);
    Duration timeout = Duration.ofSeconds(Long.getLong("pipeline.timeout.s", 90));
    Path jobJar = jobJar();

    Path tmp = Files.createTempDirectory("af-pipeline-bench");
    try {
      Result r = run(tmp, jobJar, events, warmup, checkpointMs, pollMs, timeout);
      print("events_per_sec", Math.round(r.eventsPerSec()), "events/s", null);
      print(
          "freshness_p50",
          r.freshnessP50(),
          "ms",
          "publish() call -> row seen in a committed Parquet file; resolution bounded by the"
              + " checkpoint interval ("
              + checkpointMs
              + " ms) and the poll interval ("
              + pollMs
              + " ms)");
      print("freshness_p99", r.freshnessP99(), "ms", "same resolution as freshness_p50");
      print("freshness_max", r.freshnessMax(), "ms", null);
      print(
          "eval_push_freshness_p50",
          r.edge().p50(),
          "ms",
          "publish() call -> first live eval metric of the event's series pushed by the edge"
              + " (GET /v1/eval/live/stream) with latest_event_at_ms >= the event's created_at;"
              + " every measured event; windows slide every 1000 ms");
      print("eval_push_freshness_p99", r.edge().p99(), "ms", "same as eval_push_freshness_p50");
      print("eval_push_samples", r.edge().samples(), "events", null);
      print("eval_push_unmatched", r.edge().unmatched(), "events", "never reflected by a push");
      print(
          "eval_topic_freshness_p50",
          r.topic().p50(),
          "ms",
          "same match, at arrival on the eval topic (Kafka consumer, no edge)");
      print("eval_topic_freshness_p99", r.topic().p99(), "ms", "same as eval_topic_freshness_p50");
      print("eval_topic_samples", r.topic().samples(), "events", null);
      print(
          "eval_edge_added_p50",
          r.edgeAddedP50Ms(),
          "ms",
          "per event: seen at the dashboard push - seen on the eval topic (what the edge adds)");
      print("eval_edge_added_p99", r.edgeAddedP99Ms(), "ms", "same as eval_edge_added_p50");
      print("rows_committed", r.rowsCommitted(), "rows", null);
      print("events_published", r.eventsPublished(), "events", null);
      print("publish_events_per_sec", Math.round(r.publishPerSec()), "events/s", null);
      print("checkpoint_interval", checkpointMs, "ms", null);
      print(
          "target_rate",
          rate,
          "events/s",
          rate == 0 ? "0: unpaced, as fast as publish accepts" : null);
      print("poll_interval", pollMs, "ms", null);
      System.err.printf(
          "pipeline: freshness resolution is bounded by the checkpoint interval (%d ms) and the"
              + " poll interval (%d ms); %d warm-up events not counted%n",
          checkpointMs, pollMs, warmup);
    } finally {
      deleteRecursively(tmp);
    }
  }

  record Result(
      long eventsPublished,
      long rowsCommitted,
      double eventsPerSec,
      double publishPerSec,
      long freshnessP50,
      long freshnessP99,
      long freshnessMax,
      EvalResult edge,
      EvalResult topic,
      double edgeAddedP50Ms,
      double edgeAddedP99Ms) {}

  /** Live evaluation freshness in ms over the measured events, and those never matched. */
  record EvalResult(long p50, long p99, long samples, long unmatched) {
    static EvalResult of(EvalMatcher matcher) {
      long[] sorted = matcher.sortedMillis();
      return new EvalResult(
          percentile(sorted, 50), percentile(sorted, 99), sorted.length, matcher.unmatched());
    }
  }

  static Result run(
      Path tmp,
      Path jobJar,
      int events,
      int warmup,
      long checkpointMs,
      long pollMs,
      Duration timeout)
      throws Exception {
    Path datasets = tmp.resolve("datasets");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(tmp.resolve("kafka"), 0);
        EmbeddedFlink flink =
            EmbeddedFlink.start(tmp.resolve("flink"), 0, Map.of("restart-strategy.type", "none"))) {
      kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ, Topics.EVAL_LIVE);
      FlinkRestClient rest = new FlinkRestClient(flink.restUrl());
      PipelineConfig config =
          new PipelineConfig(
              kafka.bootstrapServers(),
              Topics.INTERACTIONS,
              Topics.INTERACTIONS_DLQ,
              datasets.toUri().toString(),
              checkpointMs,
              "bench-pipeline");
      String jarId = rest.uploadJar(jobJar).toCompletableFuture().get(60, TimeUnit.SECONDS);
      String jobId =
          rest.runJar(jarId, config.toArgs()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      try {
        await("job running", Duration.ofSeconds(60), () -> "RUNNING".equals(state(rest, jobId)));
        CommittedRows committed = new CommittedRows(datasets.resolve("sft"));
        EventFactory factory = new EventFactory(42);
        EvalMatcher atEdge = new EvalMatcher();
        EvalMatcher atTopic = new EvalMatcher();
        try (InteractionPublisher publisher =
                InteractionPublisher.create(kafka.bootstrapServers());
            EvalFreshness topicWatch =
                new EvalFreshness(kafka.bootstrapServers(), Topics.EVAL_LIVE, atTopic);
            EdgeEvalFreshness edgeWatch =
                new EdgeEvalFreshness(
                    tmp.resolve("edge"),
                    kafka.bootstrapServers(),
                    Topics.EVAL_LIVE,
                    EventFactory.tenants(),
                    atEdge)) {
          // Warm-up: JIT, Kafka source assignment, the first checkpoints. Not measured.
          Set<String> warmIds = new HashSet<>();
          Map<String, Long> ignored = new ConcurrentHashMap<>();
          publishAll(publisher, factory, warmup, "warmup", ignored, List.of());
          warmIds.addAll(ignored.keySet());
          await(
              "warm-up rows committed",
              timeout,
              () -> {
                committed.pollUnchecked(System.nanoTime());
                return committed.seen().keySet().containsAll(warmIds);
              });
          System.err.printf("pipeline: %d warm-up rows committed%n", warmIds.size());

          // Measured run: publish as fast as the publisher takes them, poll concurrently.
          Map<String, Long> published = new ConcurrentHashMap<>(events * 2);
          AtomicReference<Throwable> pollError = new AtomicReference<>();
          AtomicLong lastNewRow = new AtomicLong();
          Thread poller =
              new Thread(
                  () -> {
                    try {
                      while (!Thread.currentThread().isInterrupted()) {
                        long t = System.nanoTime();
                        if (committed.poll(t) > 0) {
                          lastNewRow.set(t);
                        }
                        Thread.sleep(pollMs);
                      }
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    } catch (Throwable e) {
                      pollError.set(e);
                    }
                  },
                  "parquet-poller");
          poller.setDaemon(true);
          long t0 = System.nanoTime();
          poller.start();
          publishAll(publisher, factory, events, "bench", published, List.of(atEdge, atTopic));
          long tPublished = System.nanoTime();
          System.err.printf(
              "pipeline: %d events published and acknowledged in %.1f s%n",
              events, (tPublished - t0) / 1e9);

          long deadline = System.nanoTime() + timeout.toNanos();
          while (System.nanoTime() < deadline && pollError.get() == null) {
            if (committed.seen().keySet().containsAll(published.keySet())) {
              break;
            }
            state(rest, jobId); // fails fast if the job failed
            Thread.sleep(pollMs);
          }
          // the live metrics are normally ahead of the Parquet rows; give the last slide time
          long evalDeadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
          while (System.nanoTime() < evalDeadline
              && (atEdge.unmatched() > 0 || atTopic.unmatched() > 0)) {
            Thread.sleep(pollMs);
          }
          System.err.printf(
              "pipeline: %d documents pushed to the dashboards%n", edgeWatch.pushes());
          poller.interrupt();
          poller.join(10_000);
          if (pollError.get() != null) {
            throw new IllegalStateException("poller failed", pollError.get());
          }

          List<Long> freshness = new ArrayList<>(published.size());
          long lastCommit = t0;
          for (Map.Entry<String, Long> e : published.entrySet()) {
            Long seenAt = committed.seen().get(e.getKey());
            if (seenAt != null) {
              freshness.add(seenAt - e.getValue());
              lastCommit = Math.max(lastCommit, seenAt);
            }
          }
          if (freshness.size() < published.size()) {
            System.err.printf(
                "pipeline: WARNING only %d of %d published events were committed within %s"
                    + " (quality filter drops or a timeout)%n",
                freshness.size(), published.size(), timeout);
          }
          long[] sorted = freshness.stream().mapToLong(Long::longValue).sorted().toArray();
          double seconds = (lastCommit - t0) / 1e9;
          long[] added = EvalMatcher.sortedDifferenceMicros(atEdge, atTopic);
          return new Result(
              published.size(),
              sorted.length,
              sorted.length / seconds,
              events / ((tPublished - t0) / 1e9),
              millis(percentile(sorted, 50)),
              millis(percentile(sorted, 99)),
              millis(sorted.length == 0 ? 0 : sorted[sorted.length - 1]),
              EvalResult.of(atEdge),
              EvalResult.of(atTopic),
              percentile(added, 50) / 1e3,
              percentile(added, 99) / 1e3);
        } finally {
          committed.close();
        }
      } finally {
        stop(rest, jobId, jarId);
      }
    }
  }

  /** Publishes {@code n} events, recording each one's publish time; returns when all are acked. */
  private static void publishAll(
      InteractionPublisher publisher,
      EventFactory factory,
      int n,
      String sessionPrefix,
      Map<String, Long> publishedAt,
      List<EvalMatcher> matchers)
      throws InterruptedException {
    Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    AtomicReference<Throwable> error = new AtomicReference<>();
    long start = System.nanoTime();
    for (int i = 0; i < n && error.get() == null; i++) {
      Interaction event = factory.next(sessionPrefix);
      if (rate > 0) {
        long due = start + (long) (i * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
      }
      inFlight.acquire();
      long now = System.nanoTime();
      publishedAt.put(event.eventId().toString(), now);
      String series = EvalMatcher.series(event.tenant(), event.agentName(), event.agentVersion());
      for (EvalMatcher m : matchers) {
        m.published(series, event.createdAt().toEpochMilli(), now);
      }
      publisher
          .publish(event)
          .whenComplete(
              (ok, err) -> {
                if (err != null) {
                  error.compareAndSet(null, err);
                }
                inFlight.release();
              });
    }
    if (!inFlight.tryAcquire(MAX_IN_FLIGHT, 120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("publishes not acknowledged within 120 s");
    }
    if (error.get() != null) {
      throw new IllegalStateException("publish failed", error.get());
    }
  }

  private static void stop(FlinkRestClient rest, String jobId, String jarId) {
    try {
      rest.cancel(jobId).toCompletableFuture().get(30, TimeUnit.SECONDS);
      await(
          "job cancelled",
          Duration.ofSeconds(30),
          () -> rest.job(jobId).toCompletableFuture().join().isTerminal());
      rest.deleteJar(jarId).toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("pipeline: could not stop the job cleanly: " + e);
    }
  }

  private static String state(FlinkRestClient rest, String jobId) {
    String state = rest.job(jobId).toCompletableFuture().join().state();
    if ("FAILED".equals(state)) {
      throw new IllegalStateException("pipeline job " + jobId + " FAILED");
    }
    return state;
  }

  private static void await(String what, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
      }
      Thread.sleep(100);
    }
  }

  static Path jobJar() {
    String explicit = System.getProperty("pipeline.jar");
    if (explicit != null) {
      return requireFile(Path.of(explicit));
    }
    Path local = Path.of("flink-jobs", "target", JOB_JAR);
    if (Files.isRegularFile(local)) {
      return local;
    }
    return requireFile(
        Path.of(
            System.getProperty("user.home"),
            ".m2/repository/dev/agentfactory/flink-jobs",
            VERSION,
            JOB_JAR));
  }

  private static Path requireFile(Path p) {
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException(
          "no pipeline job jar at " + p + ": build flink-jobs or pass -Dpipeline.jar=");
    }
    return p;
  }

  /** Nearest-rank percentile of sorted nanos. */
  static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static long millis(long nanos) {
    return Math.round(nanos / 1e6);
  }

  private static void print(String metric, double value, String unit, String note)
      throws IOException {
    ObjectNode line = JSON.createObjectNode();
    line.put("benchmark", "pipeline");
    line.put("metric", metric);
    line.put("value", value);
    line.put("unit", unit);
    if (note != null) {
      line.put("note", note);
    }
    System.out.println(JSON.writeValueAsString(line));
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  System.err.println("pipeline: cannot delete " + p + ": " + e);
                }
              });
    } catch (IOException e) {
      System.err.println("pipeline: cannot delete " + root + ": " + e);
    }
  }
}
