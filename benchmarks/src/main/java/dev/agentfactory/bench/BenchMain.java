package dev.agentfactory.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.bench.pii.PiiScrubBenchmark;
import dev.agentfactory.bench.sandbox.SandboxLeaseBenchmark;
import dev.agentfactory.jobs.cli.CliArgs;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs one group of benchmarks and prints one JSON object per line on stdout, e.g. {@code
 * {"benchmark":"sandbox","metric":"lease_p99","value":0.42,"unit":"ms"}}. JMH's own report goes to
 * stderr. A JMH group may run a plain harness first ({@link #BEFORE_JMH}: {@code pii} runs {@code
 * PiiBench}, then its JMH benchmark).
 *
 * <pre>{@code
 * java -cp 'benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*' \
 *     dev.agentfactory.bench.BenchMain sandbox
 * }</pre>
 */
public final class BenchMain {

  /** Every group by name; a new group is one more entry here. */
  static final Map<String, BenchGroup> GROUPS =
      Map.of(
          "sandbox", new BenchGroup("sandbox", List.of(SandboxLeaseBenchmark.class)),
          "pii", new BenchGroup("pii", List.of(PiiScrubBenchmark.class)));

  /**
   * Groups that are plain timed harnesses rather than JMH classes (end-to-end measurements); the
   * arguments after the group name are passed on. They print their own JSON lines.
   */
  static final Map<String, PlainGroup> PLAIN_GROUPS =
      Map.of(
          "pipeline", dev.agentfactory.bench.pipeline.PipelineBench::main,
          "cluster", dev.agentfactory.bench.cluster.ClusterBench::main,
          "sessions", dev.agentfactory.bench.sessions.SessionsBench::main);

  /**
   * Plain harnesses a JMH group runs first, in this JVM, before its JMH benchmarks: {@code pii}'s
   * headline figures (scrub samples/s per core, F2 per entity type) come from {@code PiiBench} (30
   * s measured), which JMH's per-operation times cannot give. They print their own JSON lines.
   */
  static final Map<String, PlainGroup> BEFORE_JMH =
      Map.of("pii", args -> dev.agentfactory.bench.pii.PiiBench.main(new String[] {"30"}));

  /** A group's {@code main}. */
  @FunctionalInterface
  interface PlainGroup {
    void run(String[] args) throws Exception;
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private BenchMain() {}

  /** One output line. */
  record Metric(String benchmark, String metric, double value, String unit) {}

  public static void main(String[] args) throws Exception {
    if (args.length >= 1 && PLAIN_GROUPS.containsKey(args[0])) {
      // a failed group must end the run with a non-zero status: an exception alone would leave the
      // JVM waiting on whatever non-daemon threads the group started (cluster members, executors)
      int status = 0;
      try {
        PLAIN_GROUPS.get(args[0]).run(Arrays.copyOfRange(args, 1, args.length));
      } catch (CliArgs.UsageException e) {
        System.err.println("bench " + args[0] + ": " + e.getMessage());
        status = 2;
      } catch (Throwable e) {
        System.err.println("bench group '" + args[0] + "' failed:");
        e.printStackTrace();
        status = 1;
      }
      System.out.flush();
      System.exit(status);
    }
    if (args.length != 1 || !GROUPS.containsKey(args[0])) {
      System.err.println(
          "usage: BenchMain <group> [args]   groups: "
              + new java.util.TreeSet<>(GROUPS.keySet())
              + " "
              + new java.util.TreeSet<>(PLAIN_GROUPS.keySet()));
      System.exit(2);
    }
    BenchGroup group = GROUPS.get(args[0]);
    PlainGroup before = BEFORE_JMH.get(group.name());
    if (before != null) {
      before.run(new String[0]);
      System.out.flush();
    }
    ChainedOptionsBuilder options = new OptionsBuilder().timeUnit(TimeUnit.MILLISECONDS);
    for (Class<?> benchmark : group.benchmarks()) {
      options.include("^" + benchmark.getName().replace(".", "\\.") + "\\.");
    }
    PrintStream stdout = System.out;
    Collection<RunResult> results =
        new Runner(
                options.build(),
                OutputFormatFactory.createFormatInstance(System.err, VerboseMode.NORMAL))
            .run();
    for (RunResult result : results) {
      String method = result.getParams().getBenchmark();
      String name = snakeCase(method.substring(method.lastIndexOf('.') + 1));
      Statistics stats = result.getPrimaryResult().getStatistics();
      String unit = result.getPrimaryResult().getScoreUnit().replace("/op", "");
      for (Metric m :
          List.of(
              new Metric(group.name(), name + "_p50", round(stats.getPercentile(50)), unit),
              new Metric(group.name(), name + "_p99", round(stats.getPercentile(99)), unit),
              new Metric(group.name(), name + "_samples", stats.getN(), "count"))) {
        stdout.println(toJson(m));
      }
    }
  }

  static String snakeCase(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
  }

  private static double round(double value) {
    return Math.round(value * 1000) / 1000.0;
  }

  private static String toJson(Metric metric) {
    try {
      return JSON.writeValueAsString(metric);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + metric, e);
    }
  }
}
