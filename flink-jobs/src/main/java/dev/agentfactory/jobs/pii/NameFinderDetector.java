package dev.agentfactory.jobs.pii;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import opennlp.tools.namefind.NameFinderME;
import opennlp.tools.namefind.TokenNameFinderModel;
import opennlp.tools.util.Span;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds names, places, organisations, addresses, job titles and name prefixes with an OpenNLP
 * maximum-entropy name finder trained by {@link NameFinderTrainer}. One instance per thread: the
 * OpenNLP decoder keeps state; the model itself is loaded once per class loader and shared.
 */
final class NameFinderDetector implements Detector {

  static final String MODEL_RESOURCE = "/dev/agentfactory/jobs/pii/ner-pii.bin";

  /** The types this detector reports. */
  static final Set<EntityType> TYPES =
      EnumSet.of(
          EntityType.PERSON,
          EntityType.LOCATION,
          EntityType.ORGANIZATION,
          EntityType.ADDRESS,
          EntityType.TITLE,
          EntityType.PREFIX);

  /** Texts are decoded in chunks of about this many tokens, cut after sentence ends or lines. */
  private static final int CHUNK = 120;

  /**
   * Spans the model is less sure of than this are dropped. Chosen on the validation templates of
   * the training split ({@link PiiDataset#isValidation}); {@code -Dpii.ner.min} overrides it.
   */
  static final double MIN_PROBABILITY =
      Double.parseDouble(System.getProperty("pii.ner.min", "0.0"));

  private static final Logger LOG = LoggerFactory.getLogger(NameFinderDetector.class);

  private final NameFinderME finder;
  private final Gazetteer gazetteer;

  private NameFinderDetector(TokenNameFinderModel model, Gazetteer gazetteer) {
    this.finder = new NameFinderME(model);
    this.gazetteer = gazetteer;
  }

  /** A detector over the bundled model, or empty (with a warning, once) if there is none. */
  static Optional<NameFinderDetector> bundled() {
    return ModelHolder.MODEL.map(m -> new NameFinderDetector(m, ModelHolder.GAZETTEER));
  }

  static NameFinderDetector of(TokenNameFinderModel model, Gazetteer gazetteer) {
    return new NameFinderDetector(model, gazetteer);
  }

  @Override
  public void detect(ScanText text, List<PiiSpan> out) {
    Tokens tokens = text.tokens();
    if (tokens.size == 0) {
      return;
    }
    if (!hasCandidate(tokens, gazetteer)) {
      return;
    }
    String[] words = tokens.words();
    String[][] features = NameFeatures.of(tokens, gazetteer);
    int from = 0;
    while (from < tokens.size) {
      int to = chunkEnd(tokens, from);
      String[] w = from == 0 && to == tokens.size ? words : slice(words, from, to);
      String[][] f = from == 0 && to == tokens.size ? features : slice(features, from, to);
      Span[] found = finder.find(w, f);
      double[] probs = finder.probs(found);
      for (int i = 0; i < found.length; i++) {
        Span s = found[i];
        if (probs[i] < MIN_PROBABILITY) {
          continue;
        }
        int start = tokens.start[from + s.getStart()];
        int end = tokens.end[from + s.getEnd() - 1];
        out.add(new PiiSpan(EntityType.valueOf(s.getType()), start, end, probs[i]));
      }
      from = to;
    }
  }

  /**
   * Whether any token could be part of a name, place, organisation or address: a letter in upper
   * case, a digit, or a word the gazetteer or word lists know. Texts without one (lower-case prose
   * with no known names, code, numbers-free logs) skip the model.
   */
  static boolean hasCandidate(Tokens tokens, Gazetteer gazetteer) {
    for (int i = 0; i < tokens.size; i++) {
      String t = tokens.text[i];
      if (t == Tokens.NEWLINE) {
        continue;
      }
      for (int k = 0; k < t.length(); k++) {
        char c = t.charAt(k);
        if (Character.isUpperCase(c) || Character.isDigit(c)) {
          return true;
        }
      }
    }
    for (int i = 0; i < tokens.size; i++) {
      String w = tokens.text[i].toLowerCase(java.util.Locale.ROOT);
      if (gazetteer.lists(w) != 0 || !gazetteer.lookup(w).isEmpty()) {
        return true;
      }
    }
    return false;
  }

  private static int chunkEnd(Tokens tokens, int from) {
    if (tokens.size - from <= CHUNK) {
      return tokens.size;
    }
    int hard = from + CHUNK;
    for (int i = hard - 1; i > from + CHUNK / 3; i--) {
      String t = tokens.text[i];
      if (t.equals(".") || t.equals("!") || t.equals("?") || t.equals(Tokens.NEWLINE)) {
        return i + 1;
      }
    }
    return hard;
  }

  private static String[] slice(String[] a, int from, int to) {
    return java.util.Arrays.copyOfRange(a, from, to);
  }

  private static String[][] slice(String[][] a, int from, int to) {
    return java.util.Arrays.copyOfRange(a, from, to);
  }

  /** Lazily loads the model once, on first use. */
  private static final class ModelHolder {
    static final Optional<TokenNameFinderModel> MODEL = load();
    static final Gazetteer GAZETTEER = Gazetteer.bundled();

    private static Optional<TokenNameFinderModel> load() {
      try (InputStream in = NameFinderDetector.class.getResourceAsStream(MODEL_RESOURCE)) {
        if (in == null) {
          LOG.warn(
              "No PII name finder model on the classpath ({}): PERSON, LOCATION, ORGANIZATION, "
                  + "ADDRESS and TITLE are detected by patterns only. Build with the labelled data "
                  + "in ../shared/data/pii to train it.",
              MODEL_RESOURCE);
          return Optional.empty();
        }
        return Optional.of(new TokenNameFinderModel(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load " + MODEL_RESOURCE, e);
      }
    }
  }
}
