package dev.agentfactory.jobs.pii;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
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
 * SequenceTagger} that {@link NameFinderTrainer} trains at build time. The model is loaded once per
 * class loader and shared; the detector itself is stateless and thread-safe.
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

  private static final int COMMON = 1 << Gazetteer.LIST_NAMES.indexOf("common");
  private static final int FIRST = 1 << Gazetteer.LIST_NAMES.indexOf("first");
  private static final int LAST = 1 << Gazetteer.LIST_NAMES.indexOf("last");

  /** Span post-processing rules (see {@link #refine}); {@code -Dpii.ner.refine=} turns some off. */
  private static final Set<String> REFINE =
      Set.of(
          System.getProperty(
                  "pii.ner.refine",
                  "lower,list,poss,common,first,fstlow,surname,unsure,split,trim,addrname,country")
              .split(","));

  private static final boolean R_LOWER = REFINE.contains("lower");
  private static final boolean R_LIST = REFINE.contains("list");
  private static final boolean R_POSS = REFINE.contains("poss");
  private static final boolean R_COMMON = REFINE.contains("common");
  private static final boolean R_FIRST = REFINE.contains("first");
  private static final boolean R_FIRSTLOWER = REFINE.contains("fstlow");
  private static final int OTHER_WORDS =
      COMMON
          | (1 << Gazetteer.LIST_NAMES.indexOf("city"))
          | (1 << Gazetteer.LIST_NAMES.indexOf("street"))
          | (1 << Gazetteer.LIST_NAMES.indexOf("country"))
          | (1 << Gazetteer.LIST_NAMES.indexOf("company"));
  private static final boolean R_SURNAME = REFINE.contains("surname");
  private static final boolean R_SPLIT = REFINE.contains("split");
  private static final boolean R_COMMON2 = REFINE.contains("common2");

  /** Lower-case name particles that may start a name ({@code van Gogh}). */
  private static final Set<String> PARTICLES =
      Set.of(
          "van", "von", "de", "da", "di", "del", "della", "der", "den", "du", "le", "la", "ten",
          "ter", "al", "el", "bin", "ibn");

  private static final boolean R_TRIM = REFINE.contains("trim");
  private static final boolean R_ADDRNAME = REFINE.contains("addrname");
  private static final Set<String> PREFIXES =
      Set.of("mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "mx", "rev", "lady", "lord");
  private static final Set<String> UNITS =
      Set.of("apt", "apartment", "suite", "ste", "unit", "floor", "fl", "box", "psc", "flat");
  private static final boolean R_COUNTRY = REFINE.contains("country");
  private static final int COUNTRY = 1 << Gazetteer.LIST_NAMES.indexOf("country");
  private static final boolean R_UNSURE = REFINE.contains("unsure");
  static final double FIRST_NAME_SCORE = 0.3;

  private static final Logger LOG = LoggerFactory.getLogger(NameFinderDetector.class);

  private final SequenceTagger tagger;
  private final Gazetteer gazetteer;

  private NameFinderDetector(SequenceTagger tagger, Gazetteer gazetteer) {
    this.tagger = tagger;
    this.gazetteer = gazetteer;
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
    spans(tokens, tagger.tag(NameFeatures.of(tokens, gazetteer)), out);
  }

  /** The spans to report for the tagger's {@code spans} over {@code tokens}, post-processed. */
  void spans(Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out) {
    boolean placeNearby = false;
    for (SequenceTagger.TokenSpan s : spans) {
      placeNearby |=
          (s.type() == EntityType.ADDRESS || s.type() == EntityType.LOCATION)
              && hasLetter(tokens, s.first(), s.last());
    }
    if (R_ADDRNAME) {
      spans = nameBeforeAddress(tokens, spans);
    }
    if (R_FIRST) {
      firstNames(tokens, spans, out);
    }
    for (SequenceTagger.TokenSpan s : spans) {
      double score = 1 / (1 + Math.exp(-s.margin() / MARGIN_SCALE));
      if (score < MIN_SCORE
          || !(placeNearby
              || hasLetter(tokens, s.first(), s.last())
              || postalWordBefore(tokens, s.first()))) {
        continue;
      }
      refine(tokens, s.type(), s.first(), s.last(), score, out);
    }
  }

  /**
   * Post-processing of one tagged span {@code [first, last)}, with what the tagger cannot see in a
   * window of a few tokens:
   *
   * <ul>
   *   <li>a list of first names ({@code Layla, Harry, Michele and Shelley}), whatever type the
   *       tagger gave it, becomes one PERSON span per name;
   *   <li>a name before a possessive inside an organisation or person span ({@code Tammy Kappel's
   *       Cautionary Tales}) is a PERSON and the rest is dropped;
   *   <li>a one-word PERSON span in lower case that no name list knows ({@code felines}) and a
   *       one-word PERSON span of a common word that is no name ({@code Just}) are dropped.
   * </ul>
   */
  private void refine(
      Tokens tokens, EntityType type, int first, int last, double score, List<PiiSpan> out) {
    if (R_LIST && nameList(tokens, first, last, score, out)) {
      return;
    }
    if (R_POSS && (type == EntityType.ORGANIZATION || type == EntityType.PERSON)) {
      for (int i = first; i < last - 1; i++) {
        String w = tokens.text[i];
        if (i > first
            && (w.endsWith("'s") || w.endsWith("’s"))
            && Character.isUpperCase(w.charAt(0))) {
          String f = tokens.text[first].toLowerCase(Locale.ROOT);
          if ((gazetteer.lists(f) & FIRST) != 0
              || gazetteer.lookup(f).contains(EntityType.PERSON)) {
            out.add(
                new PiiSpan(
                    EntityType.PERSON,
                    tokens.start[first],
                    tokens.end[i] - 2,
                    Math.max(score, 0.5)));
            return;
          }
        }
      }
    }
    if (R_SPLIT && type == EntityType.PERSON) {
      for (int k = first + 1; k < last - 1; k++) {
        String w = tokens.text[k];
        if ((w.equals(".") || w.equals("!") || w.equals("?")) && tokens.text[k - 1].length() > 3) {
          refine(tokens, type, first, k, score, out);
          refine(tokens, type, k + 1, last, score, out);
          return;
        }
      }
    }
    if (R_TRIM && type == EntityType.PERSON && last > first + 1) {
      String w = tokens.text[first];
      if (Character.isLowerCase(w.charAt(0))
          && !PARTICLES.contains(w)
          && Character.isUpperCase(tokens.text[first + 1].charAt(0))) {
        first++;
      }
    }
    if (type == EntityType.PERSON && last == first + 1) {
      String w = tokens.text[first];
      String lower = w.toLowerCase(Locale.ROOT);
      int lists = gazetteer.lists(lower);
      if (R_COUNTRY && (lists & COUNTRY) != 0 && (lists & (FIRST | LAST)) == 0) {
        type = EntityType.LOCATION;
      }
      boolean name =
          (lists & (FIRST | LAST)) != 0 || gazetteer.lookup(lower).contains(EntityType.PERSON);
      if (R_LOWER && !name && w.equals(lower)) {
        return;
      }
      if (R_COMMON
          && (lists & COMMON) != 0
          && (lists & (FIRST | LAST)) == 0
          && !gazetteer.lookup(lower).contains(EntityType.PERSON)) {
        return;
      }
      if (R_COMMON2
          && (lists & COMMON) != 0
          && sentenceStart(tokens, first)
          && !gazetteer.lookup(lower).contains(EntityType.PERSON)) {
        return;
      }
    }
    out.add(new PiiSpan(type, tokens.start[first], tokens.end[last - 1], score));
  }

  /**
   * A span that is a list of names: capitalised words separated by commas, with {@code and} or
   * {@code &} before the last, most of them first names. Emits one PERSON span per name.
   */
  private boolean nameList(Tokens tokens, int first, int last, double score, List<PiiSpan> out) {
    // extend to the right over ", Name" / "and Name" the tagger may have left out
    int end = last;
    int names = 0;
    int known = 0;
    boolean expectName = true;
    int i = first;
    List<Integer> at = new ArrayList<>();
    while (i < tokens.size) {
      String w = tokens.text[i];
      if (expectName) {
        if (w == Tokens.NEWLINE || !Character.isUpperCase(w.charAt(0)) || hasDigit(w)) {
          break;
        }
        names++;
        at.add(i);
        String lower = w.toLowerCase(Locale.ROOT);
        if ((gazetteer.lists(lower) & FIRST) != 0) {
          known++;
        }
        expectName = false;
        i++;
        end = i;
      } else if (w.equals(",") || w.equals("and") || w.equals("&")) {
        if (i >= last && names < 2) {
          break;
        }
        expectName = true;
        i++;
      } else {
        break;
      }
    }
    if (end < last || names < 3 || known * 3 < names * 2) {
      return false;
    }
    for (int k : at) {
      out.add(new PiiSpan(EntityType.PERSON, tokens.start[k], tokens.end[k], Math.max(score, 0.6)));
    }
    return true;
  }

  /**
   * A first name outside every tagged span: a word of the {@code first} list that no other list
   * knows (not {@code Will}, {@code Paris}), capitalised, with a following capitalised {@code last}
   * list word as its surname, as a low-scoring PERSON span. The tagger misses such names in
   * sentence shapes it has not seen ({@code Vittore, can I ...}, {@code here's Liam's address}).
   */
  private void firstNames(Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out) {
    boolean[] covered = new boolean[tokens.size];
    for (SequenceTagger.TokenSpan s : spans) {
      // a span the tagger is unsure of (score < 0.5) may lose an overlap: it covers nothing here
      for (int i = s.first(); i < s.last() && (s.margin() >= 0 || !R_UNSURE); i++) {
        covered[i] = true;
      }
    }
    for (int i = 0; i < tokens.size; i++) {
      if (covered[i]) {
        continue;
      }
      String w = tokens.text[i];
      int cut = w.endsWith("'s") || w.endsWith("\u2019s") ? 2 : 0;
      String word = w.substring(0, w.length() - cut);
      if (word.isEmpty()
          || !(Character.isUpperCase(word.charAt(0)) || R_FIRSTLOWER)
          || (word.length() > 1 && Character.isUpperCase(word.charAt(1)))) {
        continue;
      }
      String lower = word.toLowerCase(Locale.ROOT);
      int lists = gazetteer.lists(lower);
      if ((lists & FIRST) == 0 || (lists & OTHER_WORDS) != 0) {
        continue;
      }
      if (!Character.isUpperCase(word.charAt(0)) && gazetteer.lookup(lower).isEmpty()) {
        continue;
      }
      int end = tokens.end[i] - cut;
      if (cut == 0 && i + 1 < tokens.size && !covered[i + 1] && surname(tokens.text[i + 1])) {
        end = tokens.end[i + 1];
      }
      out.add(new PiiSpan(EntityType.PERSON, tokens.start[i], end, FIRST_NAME_SCORE));
    }
  }

  /**
   * Whether a word after a first name can be its surname: capitalised (not all capitals) and either
   * a {@code last} list word or a word no list knows ({@code Lahtela}).
   */
  private boolean surname(String w) {
    if (w.length() < 2
        || !Character.isUpperCase(w.charAt(0))
        || Character.isUpperCase(w.charAt(1))
        || hasDigit(w)) {
      return false;
    }
    int lists = gazetteer.lists(w.toLowerCase(Locale.ROOT));
    return (lists & LAST) != 0 || (R_SURNAME && lists == 0);
  }

  private static boolean sentenceStart(Tokens tokens, int i) {
    if (i == 0) {
      return true;
    }
    String p = tokens.text[i - 1];
    return p == Tokens.NEWLINE || p.equals(".") || p.equals("!") || p.equals("?") || p.equals("\"");
  }

  /**
   * A name in front of an address on one line ({@code Miss Ashley Kvamme Apt. 722 20 rue Victor
   * Hugo}): an ADDRESS span that starts with (a prefix and) a first name and a capitalised word
   * followed by a number or a unit word ({@code Apt}, {@code Suite}) loses the name to a PERSON
   * span; a PERSON span ending in a first name right before such an ADDRESS span ({@code Mrs.
   * Diana} + {@code Weöres Apt. 434 …}) takes the surname back.
   */
  private List<SequenceTagger.TokenSpan> nameBeforeAddress(
      Tokens tokens, List<SequenceTagger.TokenSpan> spans) {
    List<SequenceTagger.TokenSpan> res = new ArrayList<>(spans.size() + 1);
    for (SequenceTagger.TokenSpan s : spans) {
      int f = s.first();
      SequenceTagger.TokenSpan before = res.isEmpty() ? null : res.get(res.size() - 1);
      if (s.type() != EntityType.ADDRESS) {
        res.add(s);
      } else if (before != null
          && before.type() == EntityType.PERSON
          && before.last() == f
          && firstName(tokens.text[f - 1])
          && surnameBeforeAddress(tokens, f, s.last())) {
        res.set(
            res.size() - 1,
            new SequenceTagger.TokenSpan(
                EntityType.PERSON, before.first(), f + 1, before.margin()));
        res.add(new SequenceTagger.TokenSpan(EntityType.ADDRESS, f + 1, s.last(), s.margin()));
      } else {
        int p = f;
        if (PREFIXES.contains(tokens.text[p].toLowerCase(Locale.ROOT))) {
          p += p + 1 < s.last() && tokens.text[p + 1].equals(".") ? 2 : 1;
        }
        if (p + 1 < s.last()
            && firstName(tokens.text[p])
            && surnameBeforeAddress(tokens, p + 1, s.last())) {
          res.add(new SequenceTagger.TokenSpan(EntityType.PERSON, f, p + 2, s.margin()));
          res.add(new SequenceTagger.TokenSpan(EntityType.ADDRESS, p + 2, s.last(), s.margin()));
        } else {
          res.add(s);
        }
      }
    }
    return res;
  }

  private boolean firstName(String w) {
    if (w.isEmpty() || !Character.isUpperCase(w.charAt(0))) {
      return false;
    }
    int lists = gazetteer.lists(w.toLowerCase(Locale.ROOT));
    return (lists & FIRST) != 0 && (lists & OTHER_WORDS) == 0;
  }

  /** Token {@code i} is a capitalised word and token {@code i + 1} a number or a unit word. */
  private static boolean surnameBeforeAddress(Tokens tokens, int i, int end) {
    if (i + 1 >= end) {
      return false;
    }
    String w = tokens.text[i];
    String next = tokens.text[i + 1];
    return w.length() > 1
        && Character.isUpperCase(w.charAt(0))
        && !hasDigit(w)
        && !UNITS.contains(w.toLowerCase(Locale.ROOT))
        && (hasDigit(next) || UNITS.contains(next.toLowerCase(Locale.ROOT)));
  }

  private static boolean hasDigit(String w) {
    for (int c = 0; c < w.length(); c++) {
      if (Character.isDigit(w.charAt(c))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the span has a letter. A span of digits alone (a house number, a postcode: the data
   * labels those as separate ADDRESS spans) is kept only next to a street, city or country span;
   * alone it is a number ({@code 6x7 is 42} once came out with {@code 42} as an ADDRESS).
   */
  static boolean hasLetter(Tokens tokens, int first, int endExclusive) {
    for (int i = first; i < endExclusive; i++) {
      String t = tokens.text[i];
      for (int c = 0; c < t.length(); c++) {
        if (Character.isLetter(t.charAt(c))) {
          return true;
        }
      }
    }
    return false;
  }

  private static final Set<String> POSTAL_WORDS = Set.of("zip", "zipcode", "postcode", "postal");

  /**
   * Whether one of the three tokens before {@code first} is a postal-code word ({@code my zip code
   * is 35649}): a lone number there is a postcode, which the data labels ADDRESS.
   */
  static boolean postalWordBefore(Tokens tokens, int first) {
    for (int i = Math.max(0, first - 3); i < first; i++) {
      if (POSTAL_WORDS.contains(tokens.text[i].toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    return false;
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
