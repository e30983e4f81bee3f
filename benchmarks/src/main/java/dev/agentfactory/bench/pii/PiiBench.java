package dev.agentfactory.bench.pii;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.jobs.cli.CliArgs;
import dev.agentfactory.jobs.pii.EntityType;
import dev.agentfactory.jobs.pii.PiiDataset;
import dev.agentfactory.jobs.pii.PiiModel;
import dev.agentfactory.jobs.pii.PiiScanner;
import dev.agentfactory.jobs.pii.ScrubPolicy;
import dev.agentfactory.jobs.pii.Scrubber;
import dev.agentfactory.jobs.pii.SpanEvaluation;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code pii} metrics as JSON lines: scrub throughput on one thread (so per core) over the
 * held-out samples, and span F2 per entity type on them.
 *
 * <pre>{@code
 * java -cp 'benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*' \
 *     dev.agentfactory.bench.pii.PiiBench [seconds]
 * }</pre>
 *
 * The data file is {@code -Dpii.data=...}, by default {@code
 * ../shared/data/pii/generated_large.json} from the checkout root; {@code -Dpii.bench.split=...}
 * picks the samples (default {@code heldout}) and {@code -Dpii.bench.eval=false} skips the F2
 * metrics (for speed runs during development, which should not look at held-out scores).
 *
 * <p>Throughput is reported twice: per wall-clock second and per CPU second of the scrubbing thread
 * ({@code ThreadMXBean}); on a shared machine the second is the one to compare.
 */
public final class PiiBench {

  private static final ObjectMapper JSON = new ObjectMapper();

  private PiiBench() {}

  static Path dataFile() {
    return Path.of(System.getProperty("pii.data", "../shared/data/pii/generated_large.json"));
  }

  static final String USAGE = "PiiBench [SECONDS (10)]";

  /**
   * How many seconds to measure.
   *
   * @throws CliArgs.UsageException for an option, a second argument or a value that is not above 0
   */
  static double parse(String[] args) {
    return CliArgs.parse(args, Set.of(), Set.of(), 1).doublePositional(0, "SECONDS", 10, 0);
  }

  public static void main(String[] args) throws Exception {
    double seconds = CliArgs.parseOrExit("PiiBench", USAGE, () -> parse(args));
    PiiDataset.Split split =
        PiiDataset.Split.valueOf(
            System.getProperty("pii.bench.split", "heldout").toUpperCase(java.util.Locale.ROOT));
    List<PiiDataset.LabelledSample> heldOut = PiiDataset.read(dataFile(), split);
    List<String> texts = heldOut.stream().map(PiiDataset.LabelledSample::text).toList();
    // quality on held-out templates needs the model that never saw them; the speed is the same
    PiiScanner scanner = PiiScanner.create(PiiModel.forEvaluation(split));
    Scrubber scrubber = new Scrubber(scanner, ScrubPolicy.defaults(), null);

    run(scrubber, texts, (long) (seconds / 3 * 1e9)); // warm-up
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    double load =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    long t0 = System.nanoTime();
    long cpu0 = threads.getCurrentThreadCpuTime();
    long n = run(scrubber, texts, (long) (seconds * 1e9));
    long cpu = threads.getCurrentThreadCpuTime() - cpu0;
    double perSec = n / ((System.nanoTime() - t0) / 1e9);
    long chars = texts.stream().mapToLong(String::length).sum();

    print("samples_per_sec_per_core", Math.round(perSec), "samples/s");
    print("samples_per_cpu_sec", Math.round(n / (cpu / 1e9)), "samples/s");
    print("load_average_1m", Math.round(load * 100) / 100.0, "load");
    print("mean_sample_chars", Math.round(chars / (double) texts.size()), "chars");
    print("name_finder", scanner.hasNameFinder() ? 1 : 0, "bool");
    if (!Boolean.parseBoolean(System.getProperty("pii.bench.eval", "true"))) {
      return;
    }

    SpanEvaluation eval = new SpanEvaluation(0.5);
    for (PiiDataset.LabelledSample s : heldOut) {
      eval.add(s.text(), s.gold(), scanner.scan(s.text()));
    }
    for (Map.Entry<EntityType, SpanEvaluation.Counts> e : eval.byType().entrySet()) {
      print("f2_" + e.getKey().name(), round(e.getValue().f(2)), "f2");
    }
    print("f2_overall", round(eval.overall().f(2)), "f2");
    print("precision_overall", round(eval.overall().precision()), "ratio");
    print("recall_overall", round(eval.overall().recall()), "ratio");
    // presidio-research's overall figure: found at all, whatever the type (SpanEvaluation.anyType)
    print("f2_any_type", round(eval.anyType().f(2)), "f2");
    print("precision_any_type", round(eval.anyType().precision()), "ratio");
    print("recall_any_type", round(eval.anyType().recall()), "ratio");
    System.err.println("held-out evaluation, as PiiCli eval prints it:");
    System.err.print(eval.table());
  }

  private static long run(Scrubber scrubber, List<String> texts, long nanos) {
    long deadline = System.nanoTime() + nanos;
    long n = 0;
    int sink = 0;
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < 100; i++) {
        sink += scrubber.scrub(texts.get((int) (n % texts.size())), "bench").text().length();
        n++;
      }
    }
    if (sink == 42) {
      System.err.print("");
    }
    return n;
  }

  private static double round(double v) {
    return Math.round(v * 10000) / 10000.0;
  }

  /** One output line, fields in this order. */
  record Metric(String benchmark, String metric, double value, String unit) {}

  private static void print(String metric, double value, String unit) throws Exception {
    System.out.println(JSON.writeValueAsString(new Metric("pii", metric, value, unit)));
  }
}
