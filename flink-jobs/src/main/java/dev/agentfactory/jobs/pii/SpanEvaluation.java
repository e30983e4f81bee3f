package dev.agentfactory.jobs.pii;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Span-level precision, recall and F2 per entity type, the way presidio-research's {@code
 * SpanEvaluator} counts them:
 *
 * <ol>
 *   <li>Both gold and predicted spans are <em>normalised</em>: edges are trimmed of whitespace and
 *       punctuation other than {@code .}, and spans of one type separated only by whitespace or
 *       punctuation are merged (presidio-research compares IO tags, where such neighbours are one
 *       entity).
 *   <li>A predicted span is a true positive when a not yet matched gold span of the same type has a
 *       character intersection-over-union of at least the threshold (0.5 by default) with it; pairs
 *       are matched greedily by IoU. Otherwise it is a false positive.
 *   <li>Gold spans left unmatched are false negatives.
 * </ol>
 *
 * F2 weighs recall twice as much as precision: for a scrubber a miss costs more than an extra mask.
 *
 * <p>The table has two overall rows: {@code PII (overall)} pools the per-type counts above (a span
 * of the wrong type is a miss and a false positive), and {@code PII (any type)} is the overall
 * figure presidio-research reports, where types do not count and neighbouring entities of any types
 * form one span ({@link AnyTypeMatch}).
 */
public final class SpanEvaluation {

  /** Counts for one entity type. */
  public static final class Counts {
    long tp;
    long fp;
    long fn;

    public double precision() {
      return tp + fp == 0 ? 0 : (double) tp / (tp + fp);
    }

    public double recall() {
      return tp + fn == 0 ? 0 : (double) tp / (tp + fn);
    }

    public double f(double beta) {
      double p = precision();
      double r = recall();
      double b2 = beta * beta;
      return p + r == 0 ? 0 : (1 + b2) * p * r / (b2 * p + r);
    }

    public long support() {
      return tp + fn;
    }
  }

  private final double iouThreshold;
  private final Map<EntityType, Counts> byType = new EnumMap<>(EntityType.class);
  private final Counts overall = new Counts();
  private final Counts anyType = new Counts();

  public SpanEvaluation(double iouThreshold) {
    if (!(iouThreshold > 0 && iouThreshold <= 1)) {
      throw new IllegalArgumentException("iou threshold: must be in (0, 1], got " + iouThreshold);
    }
    this.iouThreshold = iouThreshold;
  }

  /** Adds one sample's gold and predicted spans. */
  public void add(String text, List<PiiSpan> gold, List<PiiSpan> predicted) {
    AnyTypeMatch.add(text, gold, predicted, iouThreshold, anyType);
    List<PiiSpan> g = normalise(text, gold);
    List<PiiSpan> p = normalise(text, predicted);
    boolean[] goldUsed = new boolean[g.size()];
    record Pair(int gi, int pi, double iou) {}
    List<Pair> pairs = new ArrayList<>();
    for (int pi = 0; pi < p.size(); pi++) {
      for (int gi = 0; gi < g.size(); gi++) {
        if (g.get(gi).type() == p.get(pi).type()) {
          double iou = iou(g.get(gi), p.get(pi));
          if (iou >= iouThreshold) {
            pairs.add(new Pair(gi, pi, iou));
          }
        }
      }
    }
    pairs.sort(Comparator.comparingDouble(Pair::iou).reversed());
    boolean[] predUsed = new boolean[p.size()];
    for (Pair pair : pairs) {
      if (!goldUsed[pair.gi()] && !predUsed[pair.pi()]) {
        goldUsed[pair.gi()] = true;
        predUsed[pair.pi()] = true;
        counts(p.get(pair.pi()).type()).tp++;
        overall.tp++;
      }
    }
    for (int pi = 0; pi < p.size(); pi++) {
      if (!predUsed[pi]) {
        counts(p.get(pi).type()).fp++;
        overall.fp++;
      }
    }
    for (int gi = 0; gi < g.size(); gi++) {
      if (!goldUsed[gi]) {
        counts(g.get(gi).type()).fn++;
        overall.fn++;
      }
    }
  }

  /** All types together, a span counting only when its type is right too. */
  public Counts overall() {
    return overall;
  }

  /**
   * presidio-research's overall PII score, where the type does not count ({@link AnyTypeMatch}): is
   * the personal data found, whatever it is called.
   */
  public Counts anyType() {
    return anyType;
  }

  public Map<EntityType, Counts> byType() {
    return byType;
  }

  private Counts counts(EntityType type) {
    return byType.computeIfAbsent(type, t -> new Counts());
  }

  static double iou(PiiSpan a, PiiSpan b) {
    int inter = Math.min(a.end(), b.end()) - Math.max(a.start(), b.start());
    if (inter <= 0) {
      return 0;
    }
    int union = Math.max(a.end(), b.end()) - Math.min(a.start(), b.start());
    return (double) inter / union;
  }

  /** Trims and merges spans as described in the class comment; the result is sorted by start. */
  static List<PiiSpan> normalise(String text, List<PiiSpan> spans) {
    List<PiiSpan> sorted = new ArrayList<>(spans.size());
    for (PiiSpan s : spans) {
      int start = s.start();
      int end = Math.min(s.end(), text.length());
      while (start < end && isTrim(text.charAt(start))) {
        start++;
      }
      while (end > start && isTrim(text.charAt(end - 1))) {
        end--;
      }
      if (end > start) {
        sorted.add(new PiiSpan(s.type(), start, end, s.score()));
      }
    }
    sorted.sort(Comparator.comparingInt(PiiSpan::start));
    List<PiiSpan> merged = new ArrayList<>(sorted.size());
    for (PiiSpan s : sorted) {
      if (!merged.isEmpty()) {
        PiiSpan last = merged.get(merged.size() - 1);
        if (last.type() == s.type() && onlySeparators(text, last.end(), s.start())) {
          merged.set(
              merged.size() - 1,
              new PiiSpan(s.type(), last.start(), Math.max(last.end(), s.end()), last.score()));
          continue;
        }
      }
      merged.add(s);
    }
    return merged;
  }

  private static boolean isTrim(char c) {
    return Character.isWhitespace(c) || (c != '.' && isPunct(c));
  }

  private static boolean isPunct(char c) {
    return ",;:!?\"'()[]{}-–—/\\|.".indexOf(c) >= 0;
  }

  private static boolean onlySeparators(String text, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (!Character.isWhitespace(c) && !isPunct(c)) {
        return false;
      }
    }
    return true;
  }

  /** The report as a table: one row per type with support, then the overall row. */
  public String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "%-18s %9s %9s %9s %8s %6s %6s %6s%n",
            "entity",
            "precision",
            "recall",
            "f2",
            "support",
            "tp",
            "fp",
            "fn"));
    for (Map.Entry<EntityType, Counts> e : byType.entrySet()) {
      row(sb, e.getKey().name(), e.getValue());
    }
    row(sb, "PII (overall)", overall);
    row(sb, "PII (any type)", anyType);
    return sb.toString();
  }

  private static void row(StringBuilder sb, String name, Counts c) {
    sb.append(
        String.format(
            Locale.ROOT,
            "%-18s %9.4f %9.4f %9.4f %8d %6d %6d %6d%n",
            name,
            c.precision(),
            c.recall(),
            c.f(2),
            c.support(),
            c.tp,
            c.fp,
            c.fn));
  }
}
