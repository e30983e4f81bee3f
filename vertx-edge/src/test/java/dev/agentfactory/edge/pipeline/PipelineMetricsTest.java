package dev.agentfactory.edge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JobVertex;
import dev.agentfactory.edge.health.CapturedLog;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How the pipeline job's counters, as Flink reports them, become the node's series. */
class PipelineMetricsTest {

  private static final String LOGGER = PipelineMetrics.class.getName();

  private final EdgeMetrics metrics = new EdgeMetrics();
  // show() neither asks Flink nor reads the job
  private final PipelineMetrics pipeline =
      new PipelineMetrics(
          null, new FlinkRestClient(URI.create("http://127.0.0.1:1")), metrics, Duration.ZERO);

  @AfterEach
  void close() {
    metrics.close();
  }

  @Test
  void eachOperatorIsFoundInTheVertexThatChainsIt() {
    List<JobVertex> vertices =
        List.of(
            new JobVertex("v1", "Source: interactions-source -> parse-interaction -> pii-scrub"),
            new JobVertex("v2", "eval-judge-sample -> eval-window"),
            new JobVertex("v3", "quality-filter -> rule-label -> (judge-label, eval-sample)"));

    assertThat(PipelineMetrics.operatorVertices(vertices))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("quality-filter", "v3", "parse-interaction", "v1", "judge-label", "v3"));
  }

  @Test
  void flinksSumsBecomeCountersLabelledWithTheJobAndTheDropReason() {
    pipeline.show(
        "j1",
        Map.of(
            "quality-filter.quality_dropped_duplicate", 2.0,
            "quality-filter.quality_kept", 7.0,
            "parse-interaction.unexpected_parse_failures", 0.0,
            "parse-interaction.dead_letters_malformed", 4.0,
            "judge-label.judge_calls", 3.0));

    String body = metrics.scrape();
    assertThat(body)
        .contains("af_pipeline_quality_dropped_total{job_id=\"j1\",reason=\"duplicate\"} 2.0")
        .contains("af_pipeline_quality_kept_total{job_id=\"j1\"} 7.0")
        .contains("af_pipeline_unexpected_parse_failures_total{job_id=\"j1\"} 0.0")
        .contains("af_pipeline_dead_letters_total{job_id=\"j1\",kind=\"malformed\"} 4.0")
        .contains("af_pipeline_judge_calls_total{job_id=\"j1\"} 3.0")
        .as("not reported by Flink yet: absent, not 0")
        .doesNotContain("af_pipeline_judge_degraded_total");
  }

  @Test
  void aSeriesFlinkNoLongerReportsKeepsItsLastValue() {
    pipeline.show("j1", Map.of("quality-filter.quality_kept", 7.0));
    pipeline.show("j1", Map.of());

    assertThat(metrics.scrape()).contains("af_pipeline_quality_kept_total{job_id=\"j1\"} 7.0");
  }

  @Test
  void anotherJobsSeriesReplaceTheEarlierJobs() {
    pipeline.show("j1", Map.of("quality-filter.quality_kept", 7.0));
    pipeline.show("j2", Map.of("quality-filter.quality_kept", 1.0));

    assertThat(metrics.scrape())
        .contains("af_pipeline_quality_kept_total{job_id=\"j2\"} 1.0")
        .doesNotContain("job_id=\"j1\"");
  }

  @Test
  void readsThatFailAreWarnedOfOncePerStreakAndTheirEndOnce() {
    try (CapturedLog log = CapturedLog.at(LOGGER)) {
      for (int i = 0; i < 5; i++) {
        pipeline.logRead(
            "j1", null, new CompletionException(new IOException("Connection refused")));
      }
      pipeline.logRead("j1", everyCounter(), null);
      pipeline.logRead("j1", null, new IOException("Connection refused"));

      assertThat(log.messages(LOGGER, Level.WARN, "cannot read the counters of pipeline job j1"))
          .hasSize(2)
          .allMatch(m -> m.contains("Connection refused"));
      assertThat(log.messages(LOGGER, Level.INFO, "read from Flink again")).hasSize(1);
    }
  }

  @Test
  void aCounterFlinkDoesNotReportIsWarnedOfOnceItStaysMissing() {
    Map<String, Double> withoutOne = new HashMap<>(everyCounter());
    withoutOne.remove("parse-interaction.dead_letters_malformed");
    try (CapturedLog log = CapturedLog.at(LOGGER)) {
      for (int i = 1; i < PipelineMetrics.MISSING_READS_BEFORE_WARN; i++) {
        pipeline.logRead("j1", withoutOne, null);
      }
      assertThat(log.messages(LOGGER, Level.WARN, "")).as("a job just started").isEmpty();

      for (int i = 0; i < 5; i++) {
        pipeline.logRead("j1", withoutOne, null);
      }

      assertThat(log.messages(LOGGER, Level.WARN, ""))
          .singleElement()
          .asString()
          .contains("[parse-interaction.dead_letters_malformed]", "pipeline job j1");
    }
  }

  /**
   * The streak of reads missing a counter is the job's: a job just started does not inherit the one
   * of the job before it (stopped, or of another jar), whose reads missed counters too.
   */
  @Test
  void aNewJobIsNotWarnedOfForTheMissingCountersOfTheJobBefore() {
    Map<String, Double> withoutOne = new HashMap<>(everyCounter());
    withoutOne.remove("parse-interaction.dead_letters_malformed");
    try (CapturedLog log = CapturedLog.at(LOGGER)) {
      for (int i = 1; i < PipelineMetrics.MISSING_READS_BEFORE_WARN; i++) {
        pipeline.logRead("j1", withoutOne, null);
      }
      for (int i = 1; i < PipelineMetrics.MISSING_READS_BEFORE_WARN; i++) {
        pipeline.logRead("j2", withoutOne, null);
      }
      assertThat(log.messages(LOGGER, Level.WARN, "")).as("j2 just started").isEmpty();

      pipeline.logRead("j2", withoutOne, null);
      assertThat(log.messages(LOGGER, Level.WARN, ""))
          .singleElement()
          .asString()
          .contains("pipeline job j2");
    }
  }

  private static Map<String, Double> everyCounter() {
    Map<String, Double> sums = new HashMap<>();
    PipelineMetrics.SERIES.forEach(s -> sums.put(s.metricId(), 0.0));
    return sums;
  }
}
