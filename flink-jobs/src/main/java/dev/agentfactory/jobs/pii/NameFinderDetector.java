package dev.agentfactory.jobs.pii;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds names, places, organisations, addresses, job titles and name prefixes with the {@link
 * SequenceTagger} that {@link NameFinderTrainer} trains at build time, and hands the tagger's token
 * spans to {@link SpanRules} for post-processing. The model is loaded once per class loader and
 * shared; the detector itself is stateless and thread-safe.
 */
final class NameFinderDetector implements Detector {

  /** The tagger's file name, per model ({@link PiiModel#resource}). */
  static final String MODEL_FILE = "ner-tagger.bin";

  /** The types this detector reports. */
  static final Set<EntityType> TYPES = EnumSet.copyOf(SequenceTagger.TYPES);

  /**
   * A span's score is {@code sigmoid(margin / MARGIN_SCALE)}, the margin being how much more its
   * tokens score as its type than as anything else (mean over the span): it decides overlaps with
   * the phrase, company and pattern detectors. {@code -Dpii.ner.scale} overrides it.
   */
  static final double MARGIN_SCALE = Double.parseDouble(System.getProperty("pii.ner.scale", "4.0"));

  /** Spans scoring less than this are dropped; {@code -Dpii.ner.min} overrides it. */
  static final double MIN_SCORE = Double.parseDouble(System.getProperty("pii.ner.min", "0.0"));

  /**
   * Slots of each thread's {@link TokenCache}: 4096 recent token texts, about 375 KB per scanning
   * thread after the 2 109 PII samples, at most about 1 MB (texts over 32 characters are not kept).
   * {@code -Dpii.token.cache} overrides it (1: no reuse across texts).
   */
  static final int TOKEN_CACHE_SLOTS =
      Integer.highestOneBit(Math.max(1, Integer.getInteger("pii.token.cache", 4096)));

  private static final int COMMON = 1 << Gazetteer.LIST_NAMES.indexOf("common");

  private static final Logger LOG = LoggerFactory.getLogger(NameFinderDetector.class);

  private final SequenceTagger tagger;
  private final Gazetteer gazetteer;
  private final SpanRules rules;
  private final ThreadLocal<TokenCache> tokenCache;

  private NameFinderDetector(SequenceTagger tagger, Gazetteer gazetteer) {
    this.tagger = tagger;
    this.gazetteer = gazetteer;
    this.rules = new SpanRules(gazetteer);
    this.tokenCache = ThreadLocal.withInitial(() -> new TokenCache(gazetteer, TOKEN_CACHE_SLOTS));
  }

  /**
   * A detector over the bundled {@code model}, or empty (with a warning, once) if there is none.
   */
  static Optional<NameFinderDetector> bundled(PiiModel model) {
    return Models.get(model);
  }

  static NameFinderDetector of(SequenceTagger tagger, Gazetteer gazetteer) {
    return new NameFinderDetector(tagger, gazetteer);
  }

  @Override
  public void detect(ScanText text, List<PiiSpan> out) {
    Tokens tokens = text.tokens();
    if (tokens.size == 0 || !hasCandidate(tokens, gazetteer)) {
      return;
    }
    TokenCache cache = tokenCache.get();
    List<SequenceTagger.TokenSpan> spans =
        tagger.tag(NameFeatures.of(tokens, gazetteer, null, cache));
    rules.apply(tokens, spans, out, cache);
  }

  /** The spans to report for the tagger's {@code spans} over {@code tokens}: {@link SpanRules}. */
  void spans(Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out) {
    rules.apply(tokens, spans, out);
  }

  /**
   * Whether any token could be part of a name, place, organisation or address: a letter in upper
   * case, a digit, or a word the gazetteer or word lists know (not counting the common-word list:
   * {@code cat x} is no candidate). Texts without one (lower-case prose with no known names, code,
   * numbers-free logs) skip the model.
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
      String w = tokens.text[i].toLowerCase(Locale.ROOT);
      if ((gazetteer.lists(w) & ~COMMON) != 0 || !gazetteer.lookup(w).isEmpty()) {
        return true;
      }
    }
    return false;
  }

  /** Loads each model once, on first use, and shares it. */
  private static final class Models {
    static final Map<PiiModel, Optional<NameFinderDetector>> LOADED = new ConcurrentHashMap<>();

    static Optional<NameFinderDetector> get(PiiModel model) {
      return LOADED.computeIfAbsent(model, Models::load);
    }

    private static Optional<NameFinderDetector> load(PiiModel model) {
      String resource = model.resource(MODEL_FILE);
      try (InputStream in = NameFinderDetector.class.getResourceAsStream(resource)) {
        if (in == null) {
          LOG.warn(
              "No PII tagger model on the classpath ({}): PERSON, LOCATION, ORGANIZATION, "
                  + "ADDRESS and TITLE are detected by patterns only. Build with the labelled data "
                  + "in ../shared/data/pii to train it.",
              resource);
          return Optional.empty();
        }
        return Optional.of(
            new NameFinderDetector(SequenceTagger.read(in), Gazetteer.bundled(model)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load " + resource, e);
      }
    }
  }
}
