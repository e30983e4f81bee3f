package dev.agentfactory.bench.pii;

import dev.agentfactory.jobs.pii.PiiDataset;
import dev.agentfactory.jobs.pii.PiiScanner;
import dev.agentfactory.jobs.pii.ScrubPolicy;
import dev.agentfactory.jobs.pii.Scrubber;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The scrub step on one thread: {@code scrub100Samples} masks 100 consecutive held-out samples of
 * the labelled data (patterns + name finder + masking), so 100 000 / p50 in ms is samples/s. {@link
 * PiiBench} prints the throughput and quality as the {@code pii} metrics directly.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@State(Scope.Thread)
public class PiiScrubBenchmark {

  private List<String> texts;
  private Scrubber scrubber;
  private int next;

  @Setup
  public void setUp() throws IOException {
    texts =
        PiiDataset.read(PiiBench.dataFile(), PiiDataset.Split.HELDOUT).stream()
            .map(PiiDataset.LabelledSample::text)
            .toList();
    scrubber = new Scrubber(PiiScanner.create(), ScrubPolicy.defaults(), null);
  }

  @Benchmark
  public void scrub100Samples(Blackhole bh) {
    for (int i = 0; i < 100; i++) {
      bh.consume(scrubber.scrub(texts.get(next), "bench"));
      next = (next + 1) % texts.size();
    }
  }
}
