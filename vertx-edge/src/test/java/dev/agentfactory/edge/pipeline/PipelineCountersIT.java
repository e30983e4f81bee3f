package dev.agentfactory.edge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link PipelineMetrics#SERIES} copies the counter names of the pipeline job (flink-jobs is not on
 * the node's classpath): compared here with those of the job jar the node submits, so a drop reason
 * or a dead-letter kind added or renamed in the job without the node fails the build instead of
 * missing from {@code /metrics}. The operator names too: the job's, not copies of the node's.
 */
class PipelineCountersIT {

  private static final String JOBS = "dev.agentfactory.jobs.";

  @Test
  void theNodeReadsEveryCounterThePipelineJobRegistersAndNoOther() throws Exception {
    String jar = System.getProperty("af.test.pipeline.jar");
    assertThat(jar).as("af.test.pipeline.jar (set by failsafe)").isNotNull();
    // Flink and the connectors come from the parent; the job's own classes only from the jar
    try (URLClassLoader job =
        new URLClassLoader(new URL[] {Path.of(jar).toUri().toURL()}, getClass().getClassLoader())) {
      // the operators by the names the job gives them, not by copies of the node's
      String quality = operator(job, "QUALITY_OPERATOR");
      String parse = operator(job, "PARSE_OPERATOR");
      String judge = operator(job, "JUDGE_OPERATOR");
      List<String> registered = new ArrayList<>();
      for (Object reason : values(job, "quality.DropReason")) {
        registered.add(quality + "." + metricName(reason));
      }
      registered.add(
          quality + "." + constant(job, "pipeline.QualityFilterFunction", "KEPT_METRIC"));
      for (Object kind : values(job, "pipeline.DeadLetterKind")) {
        registered.add(parse + "." + metricName(kind));
      }
      registered.add(
          parse
              + "."
              + constant(job, "pipeline.ParseInteractionFunction", "UNEXPECTED_FAILURES_METRIC"));
      for (String counter : List.of("CALLS_METRIC", "CACHE_HITS_METRIC", "DEGRADED_METRIC")) {
        registered.add(judge + "." + constant(job, "pipeline.JudgeFunction", counter));
      }

      assertThat(PipelineMetrics.SERIES)
          .extracting(PipelineMetrics.Series::metricId)
          .containsExactlyInAnyOrderElementsOf(registered);
    }
  }

  private static String operator(ClassLoader job, String field)
      throws ReflectiveOperationException {
    return constant(job, "pipeline.InteractionPipelineJob", field);
  }

  private static Object[] values(ClassLoader job, String enumName)
      throws ReflectiveOperationException {
    Class<?> type = fromJar(job, enumName);
    return type.getEnumConstants();
  }

  private static String metricName(Object value) throws ReflectiveOperationException {
    return (String) value.getClass().getMethod("metricName").invoke(value);
  }

  private static String constant(ClassLoader job, String className, String field)
      throws ReflectiveOperationException {
    return (String) fromJar(job, className).getField(field).get(null);
  }

  private static Class<?> fromJar(ClassLoader job, String name) throws ClassNotFoundException {
    Class<?> type = Class.forName(JOBS + name, true, job);
    assertThat(type.getClassLoader()).as("%s from the job jar", name).isSameAs(job);
    return type;
  }
}
