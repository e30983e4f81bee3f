package dev.agentfactory.jobs.pii;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Finds PII and secrets in text: the structured and secret patterns plus, when the build trained
 * one, the statistical name finder. Where detections overlap, the higher score wins (validated
 * patterns score 1.0, the name finder its probability, unvalidated patterns less).
 *
 * <pre>{@code
 * PiiScanner scanner = PiiScanner.create();
 * List<PiiSpan> spans = scanner.scan("Mail jane@example.com or call +1-202-555-0143");
 * }</pre>
 *
 * <p>Use one scanner per thread or operator.
 */
public final class PiiScanner {

  private static final Comparator<PiiSpan> PRIORITY =
      Comparator.comparingDouble(PiiSpan::score)
          .reversed()
          .thenComparing(Comparator.comparingInt(PiiSpan::length).reversed())
          .thenComparingInt(PiiSpan::start);

  private static final boolean COMPANY_SHAPES =
      Boolean.parseBoolean(System.getProperty("pii.company.shapes", "true"));

  private final List<Detector> detectors;
  private final boolean statistical;

  private PiiScanner(List<Detector> detectors, boolean statistical) {
    this.detectors = List.copyOf(detectors);
    this.statistical = statistical;
  }

  /**
   * Patterns plus the shipped name finder ({@link PiiModel#SHIPPED}); patterns only (with a
   * warning) if it is missing.
   */
  public static PiiScanner create() {
    return create(PiiModel.SHIPPED);
  }

  /**
   * Patterns plus the name finder, gazetteer and phrases of {@code model}: {@link
   * PiiModel#TRAIN_SPLIT} to measure quality on the held-out templates.
   */
  public static PiiScanner create(PiiModel model) {
    List<Detector> detectors = new ArrayList<>(SecretRules.all());
    detectors.addAll(StructuredRules.all());
    var ner = NameFinderDetector.bundled(model);
    ner.ifPresent(detectors::add);
    detectors.add(PhraseDetector.bundled(model));
    if (COMPANY_SHAPES) {
      detectors.add(CompanyShapes.bundled());
    }
    return new PiiScanner(detectors, ner.isPresent());
  }

  /** Patterns only: no names, places or organisations beyond simple address structure. */
  public static PiiScanner patternsOnly() {
    List<Detector> detectors = new ArrayList<>(SecretRules.all());
    detectors.addAll(StructuredRules.all());
    return new PiiScanner(detectors, false);
  }

  /** Patterns plus the given tagger, phrases and company shapes (for cross-validation). */
  static PiiScanner of(NameFinderDetector ner, PhraseDetector phrases, CompanyShapes shapes) {
    List<Detector> detectors = new ArrayList<>(SecretRules.all());
    detectors.addAll(StructuredRules.all());
    detectors.add(ner);
    detectors.add(phrases);
    if (COMPANY_SHAPES) {
      detectors.add(shapes);
    }
    return new PiiScanner(detectors, true);
  }

  /** True when a trained name finder is part of this scanner. */
  public boolean hasNameFinder() {
    return statistical;
  }

  /** The non-overlapping spans found in {@code text}, by start offset. */
  public List<PiiSpan> scan(String text) {
    if (text == null || text.isEmpty()) {
      return List.of();
    }
    List<PiiSpan> found = new ArrayList<>();
    ScanText scanText = new ScanText(text);
    for (Detector d : detectors) {
      d.detect(scanText, found);
    }
    if (CodeContext.ENABLED) {
      CodeContext.filter(scanText, found);
    }
    return resolve(found);
  }

  /** Keeps the best of overlapping spans: highest score, then longest. */
  static List<PiiSpan> resolve(List<PiiSpan> found) {
    if (found.size() <= 1) {
      return List.copyOf(found);
    }
    found.sort(PRIORITY);
    List<PiiSpan> kept = new ArrayList<>(found.size());
    for (PiiSpan s : found) {
      boolean free = true;
      for (PiiSpan k : kept) {
        if (k.overlaps(s)) {
          free = false;
          break;
        }
      }
      if (free) {
        kept.add(s);
      }
    }
    kept.sort(Comparator.comparingInt(PiiSpan::start));
    return kept;
  }
}
