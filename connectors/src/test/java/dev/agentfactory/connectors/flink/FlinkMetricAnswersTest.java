package dev.agentfactory.connectors.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** How {@link FlinkRestClient} reads Flink's answers about a job's vertices and their metrics. */
class FlinkMetricAnswersTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void aJobsVerticesAreReadWithTheNamesOfTheirChainedOperators() throws Exception {
    JsonNode job =
        MAPPER.readTree(
            """
            {"jid": "j1", "name": "interaction-pipeline", "state": "RUNNING",
             "vertices": [
               {"id": "v1", "name": "Source: interactions-source -> parse-interaction",
                "parallelism": 1, "status": "RUNNING"},
               {"id": "v2", "name": "quality-filter -> rule-label -> judge-label",
                "parallelism": 2, "status": "RUNNING"}]}
            """);

    assertThat(FlinkRestClient.vertices(job))
        .containsExactly(
            new JobVertex("v1", "Source: interactions-source -> parse-interaction"),
            new JobVertex("v2", "quality-filter -> rule-label -> judge-label"));
  }

  @Test
  void aggregatedMetricsAreReadAsSumsByName() throws Exception {
    JsonNode answer =
        MAPPER.readTree(
            """
            [{"id": "quality-filter.quality_kept", "min": 1.0, "max": 4.0, "avg": 2.5,
              "sum": 5.0, "skew": 0.0},
             {"id": "quality-filter.quality_dropped_duplicate", "sum": 0.0},
             {"id": "quality-filter.no_sum_asked", "max": 1.0}]
            """);

    assertThat(FlinkRestClient.metricSums(answer))
        .containsExactly(
            java.util.Map.entry("quality-filter.quality_kept", 5.0),
            java.util.Map.entry("quality-filter.quality_dropped_duplicate", 0.0));
  }

  @Test
  void noMetricReportedYetIsAnEmptyAnswer() throws Exception {
    assertThat(FlinkRestClient.metricSums(MAPPER.readTree("[]"))).isEmpty();
  }

  @Test
  void anAnswerThatIsNotAListIsAFlinkRestException() throws Exception {
    assertThatThrownBy(() -> FlinkRestClient.metricSums(MAPPER.readTree("{\"errors\": []}")))
        .isInstanceOf(FlinkRestException.class)
        .hasMessageContaining("not a list of metrics");
  }
}
