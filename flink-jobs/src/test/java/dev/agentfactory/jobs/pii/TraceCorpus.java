package dev.agentfactory.jobs.pii;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The hand-written corpus of trace-like text (tool output, code, logs) in {@code
 * trace-negatives.txt} (no personal data) and {@code trace-positives.txt} (personal data inside
 * such text), and what the scanner finds in it. {@link #main} prints the false positives per type,
 * per sample and per KB (docs/pii.md, "Measured quality", 2026-11-27 trace false positives):
 *
 * <pre>
 * java -cp "flink-jobs/target/test-classes:flink-jobs/target/classes:$(cat cp.txt)" \
 *     dev.agentfactory.jobs.pii.TraceCorpus
 * </pre>
 */
final class TraceCorpus {

  /**
   * Types the policy masks wherever they occur, also in tool output (timestamps, {@code 127.0.0.1},
   * {@code github.com}): reported, not counted as false positives.
   */
  static final Set<EntityType> BY_POLICY =
      EnumSet.of(EntityType.DATE_TIME, EntityType.IP_ADDRESS, EntityType.DOMAIN_NAME);

  /** Something a positive sample must have found: a span of {@code type} over {@code value}. */
  record Expected(EntityType type, String value) {}

  record Sample(String id, String text, List<Expected> expected) {}

  private TraceCorpus() {}

  static List<Sample> negatives() {
    return load("trace-negatives.txt");
  }

  static List<Sample> positives() {
    return load("trace-positives.txt");
  }

  /** Samples start at a line {@code ### id | TYPE=value | ...}; earlier lines are comments. */
  static List<Sample> load(String resource) {
    String all;
    try (InputStream in = TraceCorpus.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("no resource " + resource);
      }
      all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Sample> samples = new ArrayList<>();
    String[] parts = ("\n" + all).split("\n### ");
    for (int p = 1; p < parts.length; p++) {
      int nl = parts[p].indexOf('\n');
      String[] header = parts[p].substring(0, nl).split(" \\| ");
      List<Expected> expected = new ArrayList<>();
      for (int h = 1; h < header.length; h++) {
        int eq = header[h].indexOf('=');
        expected.add(
            new Expected(
                EntityType.parse(header[h].substring(0, eq)), header[h].substring(eq + 1)));
      }
      String text = parts[p].substring(nl + 1).stripTrailing();
      samples.add(new Sample(header[0].trim(), text, List.copyOf(expected)));
    }
    return samples;
  }

  /**
   * The spans of {@code sample} that count as false positives: not of a {@link #BY_POLICY} type.
   */
  static List<PiiSpan> falsePositives(PiiScanner scanner, Sample sample) {
    List<PiiSpan> fp = new ArrayList<>();
    for (PiiSpan s : scanner.scan(sample.text())) {
      if (!BY_POLICY.contains(s.type())) {
        fp.add(s);
      }
    }
    return fp;
  }

  /**
   * Whether a span of the expected type overlaps the value by an IoU of at least 0.5; for a name
   * type (PERSON, ..., ADDRESS) a span of any name type will do: it is masked either way.
   */
  static boolean found(List<PiiSpan> spans, String text, Expected e) {
    int start = text.indexOf(e.value());
    if (start < 0) {
      throw new IllegalStateException("value not in its sample: " + e.value());
    }
    int end = start + e.value().length();
    for (PiiSpan s : spans) {
      int inter = Math.min(end, s.end()) - Math.max(start, s.start());
      int union = Math.max(end, s.end()) - Math.min(start, s.start());
      boolean type =
          s.type() == e.type()
              || (NameFinderDetector.TYPES.contains(s.type())
                  && NameFinderDetector.TYPES.contains(e.type()));
      if (type && inter > 0 && 2 * inter >= union) {
        return true;
      }
    }
    return false;
  }

  /** The expected values of the positive samples that {@code scanner} misses. */
  static List<String> missed(PiiScanner scanner) {
    List<String> missed = new ArrayList<>();
    for (Sample sample : positives()) {
      List<PiiSpan> spans = scanner.scan(sample.text());
      for (Expected e : sample.expected()) {
        if (!found(spans, sample.text(), e)) {
          missed.add(sample.id() + ": " + e.type() + "=" + e.value());
        }
      }
    }
    return missed;
  }

  /** Counts with the shipped model, or the one named ({@code tool-output}, {@code train-split}). */
  public static void main(String[] args) {
    PiiScanner scanner =
        PiiScanner.create(args.length == 0 ? PiiModel.SHIPPED : PiiModel.named(args[0]));
    List<Sample> samples = negatives();
    Map<EntityType, Integer> counted = new EnumMap<>(EntityType.class);
    Map<EntityType, Integer> policy = new EnumMap<>(EntityType.class);
    long chars = 0;
    int withFp = 0;
    for (Sample sample : samples) {
      chars += sample.text().length();
      boolean any = false;
      for (PiiSpan s : scanner.scan(sample.text())) {
        String value = sample.text().substring(s.start(), s.end()).replace("\n", "⏎");
        if (BY_POLICY.contains(s.type())) {
          policy.merge(s.type(), 1, Integer::sum);
          continue;
        }
        any = true;
        counted.merge(s.type(), 1, Integer::sum);
        System.out.printf(
            "FP %-14s %.2f %-20s %s%n", s.type(), s.score(), sample.id(), "[" + value + "]");
      }
      withFp += any ? 1 : 0;
    }
    int total = counted.values().stream().mapToInt(Integer::intValue).sum();
    double kb = chars / 1024.0;
    System.out.printf(
        "%d negative samples, %.1f KB; false-positive spans %d (%.3f per sample, %.2f per KB),"
            + " samples with any %d%n",
        samples.size(), kb, total, (double) total / samples.size(), total / kb, withFp);
    counted.forEach(
        (t, n) ->
            System.out.printf(
                "  %-14s %4d  %.3f/sample  %.2f/KB%n", t, n, (double) n / samples.size(), n / kb));
    System.out.println("by policy (not counted): " + policy);
    List<String> missed = missed(scanner);
    System.out.println("positives missed: " + missed.size() + " " + missed);
  }
}
