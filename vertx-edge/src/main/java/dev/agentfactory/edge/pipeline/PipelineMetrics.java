package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JobVertex;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import io.micrometer.core.instrument.Meter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline job's own counters on the node's {@code GET /metrics}: quality drops by reason, kept
 * turns, dead letters by kind, unexpected parse failures and the judge's calls, cache hits and
 * degraded answers, summed over the job's subtasks as Flink's REST API reports them.
 *
 * <pre>{@code
 * PipelineMetrics pipelineMetrics = new PipelineMetrics(job, rest, metrics, PipelineMetrics.REFRESH);
 * vertx.setPeriodic(1000, id -> pipelineMetrics.refresh()); // asks Flink at most every REFRESH
 * }</pre>
 *
 * <p>A scrape never waits for Flink: it serves the values read last. {@link #refresh()} asks Flink
 * in the background, one read at a time, at most every {@code every}. While Flink does not answer,
 * or the tracked job no longer runs (Flink keeps the metrics of running jobs only), every series
 * keeps its last value; none exists before the first answer.
 *
 * <p>Every series is labelled {@code job_id}: the counters belong to that job. When the node tracks
 * another job (a {@code POST /v1/jobs}, an adoption) the old job's series are removed and the new
 * job's start from 0, so Prometheus sees new series, not a counter going backwards. Within one job
 * a restart of its tasks (a failover) starts Flink's counters from 0 again: a counter reset, which
 * {@code rate()} and {@code increase()} handle. Every node sharing a Flink cluster tracks the same
 * job and exports the same cluster-wide numbers: aggregate with {@code max by (job_id, reason)}
 * across nodes, never {@code sum}.
 */
public final class PipelineMetrics {

  /**
   * How often Flink is asked: its metric store itself is refreshed every {@code
   * metrics.fetcher.update-interval} (10 s by default), so more often would read the same values.
   */
  public static final Duration REFRESH = Duration.ofSeconds(5);

  /**
   * How many reads in a row may miss a counter before a WARN, a minute of {@link #REFRESH}es: a job
   * whose tasks just started has none until they run and Flink's metric store was updated ({@code
   * metrics.fetcher.update-interval}, 10 s by default), which took 4 reads in FeedbackDatasetsIT.
   */
  static final int MISSING_READS_BEFORE_WARN = 12;

  private static final Logger LOG = LoggerFactory.getLogger(PipelineMetrics.class);

  /** A counter of an operator of the pipeline job, and the node's series for it. */
  record Series(String operator, String flinkName, String name, Map<String, String> tags) {

    /** The name Flink's aggregated vertex metrics know it by. */
    String metricId() {
      return operator + "." + flinkName;
    }
  }

  /**
   * The operators' counters, by the operator names {@code InteractionPipelineJob} gives them; the
   * drop reasons are its {@code DropReason}s, the dead-letter kinds its {@code DeadLetterKind}s,
   * lower case (flink-jobs is not on the node's classpath; {@code PipelineCountersIT} compares them
   * with the job jar's).
   */
  static final List<Series> SERIES = series();

  private static List<Series> series() {
    List<Series> series = new ArrayList<>();
    labelled(
        series,
        "quality-filter",
        "quality_dropped_",
        "af_pipeline_quality_dropped",
        "reason",
        List.of(
            "empty",
            "oversized",
            "garbage",
            "encoding_junk",
            "repetition",
            "duplicate",
            "near_duplicate"));
    series.add(new Series("quality-filter", "quality_kept", "af_pipeline_quality_kept", Map.of()));
    labelled(
        series,
        "parse-interaction",
        "dead_letters_",
        "af_pipeline_dead_letters",
        "kind",
        List.of("malformed", "invalid", "unexpected"));
    series.add(
        new Series(
            "parse-interaction",
            "unexpected_parse_failures",
            "af_pipeline_unexpected_parse_failures",
            Map.of()));
    series.add(new Series("judge-label", "judge_calls", "af_pipeline_judge_calls", Map.of()));
    series.add(
        new Series("judge-label", "judge_cache_hits", "af_pipeline_judge_cache_hits", Map.of()));
    series.add(new Series("judge-label", "judge_degraded", "af_pipeline_judge_degraded", Map.of()));
    return List.copyOf(series);
  }

  /** One series {@code name} per value, labelled {@code label}, of Flink counter prefix+value. */
  private static void labelled(
      List<Series> series,
      String operator,
      String prefix,
      String name,
      String label,
      List<String> values) {
    for (String value : values) {
      series.add(new Series(operator, prefix + value, name, Map.of(label, value)));
    }
  }

  private static final Map<String, String> DESCRIPTIONS =
      Map.of(
          "af_pipeline_quality_dropped",
          "Turns the pipeline job's quality filter dropped, by reason (cluster-wide: the same on"
              + " every node sharing the job)",
          "af_pipeline_quality_kept",
          "Turns the pipeline job's quality filter kept (cluster-wide)",
          "af_pipeline_dead_letters",
          "Events the pipeline job sent to the dead-letter topic, by kind: malformed, invalid,"
              + " unexpected (cluster-wide)",
          "af_pipeline_unexpected_parse_failures",
          "Events the pipeline job dead-lettered because parsing threw unexpectedly, a codec bug"
              + " (cluster-wide)",
          "af_pipeline_judge_calls",
          "Calls of the pipeline job to the LLM judge (cluster-wide)",
          "af_pipeline_judge_cache_hits",
          "Judge verdicts the pipeline job took from its cache (cluster-wide)",
          "af_pipeline_judge_degraded",
          "Sampled turns the pipeline job could not have judged (cluster-wide)");

  private final PipelineJob job;
  private final FlinkRestClient rest;
  private final EdgeMetrics metrics;
  private final long everyNanos;
  private final AtomicBoolean reading = new AtomicBoolean();
  private volatile long readAt;

  /**
   * The reads in a row of job {@link #loggedJob} that failed or missed a counter, and whether they
   * were warned of: per job, or a job just started would inherit the streak of the one before.
   */
  private int badReads;

  private String loggedJob;

  private boolean warned;

  /** The job whose series are registered, its values by {@link Series#metricId()}, its meters. */
  private String shownJob;

  private final Map<String, Double> values = new ConcurrentHashMap<>();
  private final List<Meter> meters = new ArrayList<>();

  /** The vertex running each operator, by operator name, for {@link #verticesOf}. */
  private volatile Vertices vertices;

  /**
   * @param job the node's pipeline job, whose tracked job id is read
   * @param rest the Flink cluster it runs on
   * @param metrics where the series are registered
   * @param every how often Flink is asked at most ({@link #REFRESH})
   */
  public PipelineMetrics(
      PipelineJob job, FlinkRestClient rest, EdgeMetrics metrics, Duration every) {
    this.job = job;
    this.rest = rest;
    this.metrics = metrics;
    this.everyNanos = every.toNanos();
    this.readAt = System.nanoTime() - everyNanos; // the first refresh reads at once
  }

  /**
   * Asks Flink for the tracked job's counters when the last read is {@code every} old and none is
   * in flight; returns at once, the values are served once Flink answered.
   */
  public void refresh() {
    String id = job.jobId();
    if (id == null
        || System.nanoTime() - readAt < everyNanos
        || !reading.compareAndSet(false, true)) {
      return;
    }
    readAt = System.nanoTime();
    read(id)
        .whenComplete(
            (sums, e) -> {
              try {
                logRead(id, sums, e);
                if (e == null) {
                  show(id, sums);
                }
              } catch (RuntimeException failed) {
                LOG.warn("cannot show the counters of pipeline job {}", id, failed);
              } finally {
                reading.set(false); // or the counters would stay frozen for good
              }
            });
  }

  /**
   * Says how a read went, without a line per read: one WARN when reads start failing, or when a
   * counter of {@link #SERIES} is still missing {@link #MISSING_READS_BEFORE_WARN} reads in a row;
   * then DEBUG until a read has every counter again, which is said at INFO.
   */
  synchronized void logRead(String id, Map<String, Double> sums, Throwable failure) {
    if (!id.equals(loggedJob)) {
      loggedJob = id;
      badReads = 0;
      warned = false;
    }
    List<String> missing =
        failure != null
            ? List.of()
            : SERIES.stream().map(Series::metricId).filter(m -> !sums.containsKey(m)).toList();
    if (failure == null && missing.isEmpty()) {
      if (warned) {
        LOG.info("the counters of pipeline job {} are read from Flink again", id);
      }
      badReads = 0;
      warned = false;
      return;
    }
    badReads++;
    boolean warn = !warned && (failure != null || badReads >= MISSING_READS_BEFORE_WARN);
    warned |= warn;
    if (failure != null) {
      Throwable cause =
          failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause()
              : failure;
      // the series keep their last values; /health says whether Flink answers
      String message =
          "cannot read the counters of pipeline job {} from Flink; /metrics serves their last"
              + " values ({})";
      if (warn) {
        LOG.warn(message + "; until they are read again, failures are logged at DEBUG", id, cause);
      } else {
        LOG.debug(message, id, cause.toString(), cause);
      }
    } else {
      String message =
          "Flink reports no {} of pipeline job {} in {} reads in a row; /metrics leaves them out"
              + " (a job jar of another version than the node?)";
      if (warn) {
        LOG.warn(message + "; logged at DEBUG until all are read", missing, id, badReads);
      } else {
        LOG.debug(message, missing, id, badReads);
      }
    }
  }

  private CompletionStage<Map<String, Double>> read(String id) {
    return verticesOf(id)
        .thenCompose(
            byOperator -> {
              Map<String, List<String>> wanted = new LinkedHashMap<>();
              for (Series s : SERIES) {
                Optional.ofNullable(byOperator.get(s.operator()))
                    .ifPresent(
                        v -> wanted.computeIfAbsent(v, k -> new ArrayList<>()).add(s.metricId()));
              }
              Map<String, Double> sums = new ConcurrentHashMap<>();
              CompletableFuture<?>[] reads =
                  wanted.entrySet().stream()
                      .map(
                          w ->
                              rest.metricSums(id, w.getKey(), w.getValue())
                                  .thenAccept(sums::putAll)
                                  .toCompletableFuture())
                      .toArray(CompletableFuture[]::new);
              return CompletableFuture.allOf(reads).thenApply(ignored -> sums);
            });
  }

  /** The vertex id of each operator of {@link #SERIES}, asked once per job. */
  private CompletionStage<Map<String, String>> verticesOf(String id) {
    Vertices known = vertices;
    if (known != null && known.jobId().equals(id)) {
      return CompletableFuture.completedFuture(known.byOperator());
    }
    return rest.vertices(id)
        .thenApply(
            list -> {
              Map<String, String> byOperator = operatorVertices(list);
              vertices = new Vertices(id, byOperator);
              return byOperator;
            });
  }

  /**
   * Which vertex runs each operator of {@link #SERIES}: the one whose name (its chained operators'
   * names) names it.
   */
  static Map<String, String> operatorVertices(List<JobVertex> vertices) {
    Map<String, String> byOperator = new LinkedHashMap<>();
    for (Series s : SERIES) {
      vertices.stream()
          .filter(v -> names(v.name(), s.operator()))
          .findFirst()
          .ifPresent(v -> byOperator.put(s.operator(), v.id()));
    }
    return byOperator;
  }

  /**
   * Whether a vertex name names operator {@code op} among its chained operators, e.g. {@code
   * Source: a -> quality-filter -> (b, c)}.
   */
  private static boolean names(String vertexName, String op) {
    return Pattern.compile("(^|[\\s(])" + Pattern.quote(op) + "($|[\\s,)])")
        .matcher(vertexName)
        .find();
  }

  /**
   * Serves {@code sums}, read for job {@code id}: replaces the series of another job shown so far,
   * registers the series first seen, and keeps the last value of those Flink did not report.
   */
  synchronized void show(String id, Map<String, Double> sums) {
    if (!id.equals(shownJob)) {
      meters.forEach(metrics::remove);
      meters.clear();
      values.clear();
      shownJob = id;
    }
    for (Series s : SERIES) {
      Double sum = sums.get(s.metricId());
      if (sum == null) {
        continue;
      }
      if (values.put(s.metricId(), sum) == null) {
        Map<String, String> tags = new LinkedHashMap<>(s.tags());
        tags.put("job_id", id);
        String key = s.metricId();
        meters.add(
            metrics.counter(
                s.name(), DESCRIPTIONS.get(s.name()), tags, values, v -> v.getOrDefault(key, 0.0)));
      }
    }
  }

  private record Vertices(String jobId, Map<String, String> byOperator) {}
}
