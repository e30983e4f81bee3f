package dev.agentfactory.jobs.pii;

import dev.agentfactory.jobs.cli.CliArgs;
import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * k-fold cross-validation by template (or by sample, {@code -Dpii.cv.unit=sample}) over the
 * <em>training</em> split (the held-out templates are never read): for each fold, trains the
 * tagger, gazetteer and phrase list on the other folds exactly as the build does, scans the fold's
 * samples with the whole scanner (patterns, tagger, phrases, company shapes) and pools the counts.
 * This is how training choices are made.
 *
 * <pre>{@code
 * java -Dpii.train.epochs=10 -cp ... dev.agentfactory.jobs.pii.NameFinderCrossValidation \
 *     ../shared/data/pii/generated_large.json 5
 * }</pre>
 */
public final class NameFinderCrossValidation {

  /**
   * Property {@code pii.cv.salt}: another fold assignment (0, the default, is the recorded one), to
   * check that a gain does not depend on how the templates fall into folds.
   */
  private static final long SALT = Long.getLong("pii.cv.salt", 0L);

  /**
   * Property {@code pii.cv.unit}: {@code template} (the default) puts all samples of a template in
   * one fold, so every tested sentence shape is new to the model: the case of the held-out split.
   * {@code sample} deals the samples out one by one, so the tested shapes were seen in training
   * with other values (about 16 samples per template): the case of new data made from the same
   * templates. Values of a tested sample are never trained on in either case.
   */
  private static final boolean BY_SAMPLE =
      switch (System.getProperty("pii.cv.unit", "template")) {
        case "template" -> false;
        case "sample" -> true;
        default ->
            throw new IllegalArgumentException(
                "pii.cv.unit: template or sample, got " + System.getProperty("pii.cv.unit"));
      };

  private NameFinderCrossValidation() {}

  static final String USAGE = "NameFinderCrossValidation DATA_JSON [FOLDS (5)]";

  /** The labelled data file and the number of folds. */
  record Run(Path data, int folds) {}

  /**
   * @throws CliArgs.UsageException for an option, no data file, a third argument or folds out of
   *     range
   */
  static Run parse(String[] args) {
    CliArgs a = CliArgs.parse(args, Set.of(), Set.of(), 2);
    return new Run(
        Path.of(a.requiredPositional(0, "DATA_JSON")), a.intPositional(1, "FOLDS", 5, 2, 100));
  }

  public static void main(String[] args) throws IOException {
    Run run = CliArgs.parseOrExit("NameFinderCrossValidation", USAGE, () -> parse(args));
    Path data = run.data();
    int folds = run.folds();
    List<LabelledSample> train = PiiDataset.read(data, PiiDataset.Split.TRAIN);
    NameFinderTrainer.Params params = NameFinderTrainer.Params.fromSystemProperties();
    FakerValues faker = new FakerValues(params.seed());
    Map<String, Set<String>> lists = faker.wordLists(Integer.getInteger("pii.train.draws", 1500));
    double iou = Double.parseDouble(System.getProperty("pii.cv.iou", "0.5"));
    // -Dpii.cv.errors.anytype=true: dump the samples with any-type (presidio overall) errors only
    boolean anyTypeErrors = Boolean.getBoolean("pii.cv.errors.anytype");
    SpanEvaluation pooled = new SpanEvaluation(iou);
    SpanEvaluation strict = new SpanEvaluation(0.9); // presidio-research's code default
    StringBuilder perFold = new StringBuilder();
    long t0 = System.nanoTime();
    String errorFile = System.getProperty("pii.cv.errors");
    java.io.PrintStream errors =
        errorFile == null ? null : new java.io.PrintStream(errorFile, "UTF-8");
    for (int f = 0; f < folds; f++) {
      final int fold = f;
      List<LabelledSample> in = new ArrayList<>();
      List<LabelledSample> out = new ArrayList<>();
      for (int i = 0; i < train.size(); i++) {
        LabelledSample s = train.get(i);
        (fold(BY_SAMPLE ? i : s.templateId(), folds) == fold ? out : in).add(s);
      }
      // refills only from the samples trained on: a tested sample's values stay unseen
      Set<String> trainedTexts = new java.util.HashSet<>();
      in.forEach(s -> trainedTexts.add(s.text()));
      Augmenter augmenter = Augmenter.readSamples(data, s -> trainedTexts.contains(s.text()));
      NameFinderTrainer.Trained trained =
          NameFinderTrainer.train(in, augmenter, faker, lists, params);
      PiiScanner scanner =
          PiiScanner.of(
              NameFinderDetector.of(trained.tagger(), trained.gazetteer()),
              new PhraseDetector(trained.phrases()),
              new CompanyShapes(trained.gazetteer()));
      SpanEvaluation e = new SpanEvaluation(iou);
      for (LabelledSample s : out) {
        List<PiiSpan> found = scanner.scan(s.text());
        e.add(s.text(), s.gold(), found);
        pooled.add(s.text(), s.gold(), found);
        strict.add(s.text(), s.gold(), found);
        if (errors != null) {
          SpanEvaluation one = new SpanEvaluation(iou);
          one.add(s.text(), s.gold(), found);
          SpanEvaluation.Counts c = anyTypeErrors ? one.anyType() : one.overall();
          if (c.fp + c.fn > 0) {
            errors.printf("%n[%d] %s%n  gold:", s.templateId(), s.text().replace("\n", "⏎"));
            for (PiiSpan g : SpanEvaluation.normalise(s.text(), s.gold())) {
              errors.printf(
                  " %s=%s", g.type(), s.text().substring(g.start(), g.end()).replace("\n", "⏎"));
            }
            errors.printf("%n  found:");
            for (PiiSpan g : SpanEvaluation.normalise(s.text(), found)) {
              errors.printf(
                  Locale.ROOT,
                  " %s=%s(%.2f)",
                  g.type(),
                  s.text().substring(g.start(), g.end()).replace("\n", "⏎"),
                  g.score());
            }
            errors.println();
            if (anyTypeErrors) {
              Tokens tk = Tokens.of(s.text());
              List<int[]> ag = AnyTypeMatch.spans(tk, s.gold());
              List<int[]> ap = AnyTypeMatch.spans(tk, found);
              errors.printf("  any-gold:");
              for (int[] a : ag) {
                errors.printf(" [%s]", s.text().substring(a[0], a[1]).replace("\n", "⏎"));
              }
              errors.printf("%n  any-found:");
              for (int[] a : ap) {
                errors.printf(" [%s]", s.text().substring(a[0], a[1]).replace("\n", "⏎"));
              }
              errors.println();
            }
          }
        }
      }
      perFold.append(String.format(Locale.ROOT, " %.4f/%.4f", e.overall().f(2), e.anyType().f(2)));
    }
    if (errors != null) {
      errors.close();
    }
    System.out.printf(
        Locale.ROOT,
        "cv folds=%d unit=%s %s time=%ds%nper-fold F2 (typed/any type):%s%n"
            + "pooled F2 at IoU 0.9 (typed/any type): %.4f/%.4f%n%s",
        folds,
        BY_SAMPLE ? "sample" : "template",
        params,
        (System.nanoTime() - t0) / 1_000_000_000,
        perFold,
        strict.overall().f(2),
        strict.anyType().f(2),
        pooled.table());
  }

  /**
   * The fold of a template (or of a sample, by its index, with {@code pii.cv.unit=sample}): a fixed
   * hash, independent of the held-out and validation hashes.
   */
  static int fold(int id, int folds) {
    long z = id + 0x2545F4914F6CDD1DL + SALT * 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (int) Math.floorMod(z, (long) folds);
  }
}
