package dev.agentfactory.jobs.pii;

import static dev.agentfactory.jobs.pii.SpanWords.COMMON;
import static dev.agentfactory.jobs.pii.SpanWords.COUNTRY;
import static dev.agentfactory.jobs.pii.SpanWords.FIRST;
import static dev.agentfactory.jobs.pii.SpanWords.LAST;
import static dev.agentfactory.jobs.pii.SpanWords.PARTICLES;
import static dev.agentfactory.jobs.pii.SpanWords.allUpper;
import static dev.agentfactory.jobs.pii.SpanWords.hasDigit;
import static dev.agentfactory.jobs.pii.SpanWords.isWord;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Post-processing of the {@link SequenceTagger}'s token spans into reported {@link PiiSpan}s, with
 * what the tagger cannot see in its window of a few tokens: word lists, sentence ends, the spans
 * next to a span. {@link NameFinderDetector} runs the tagger and hands its spans to {@link #apply}.
 *
 * <p>Each rule is one method and can be turned off for cross-validation with {@code
 * -Dpii.ner.refine=} (a comma list of the rules to run; {@code none} runs none of them). The CV
 * effects quoted are 5-fold cross-validation by template with seed 42 on the tagger they were
 * measured with: for the older rules overall typed F2 at IoU 0.5 (docs/pii.md, "span
 * post-processing"), for the boundary rules of 2026-11-26 ({@code cue} to {@code lowerword})
 * presidio-research's any-type F2, each alone on top of the older rules (docs/pii.md, "span
 * boundaries"). The rules that add spans the tagger did not give are in {@link SpanAdditions}, the
 * trims of a PERSON span's edges in {@link SpanTrims}, the word lists they share in {@link
 * SpanWords}. Stateless and thread-safe.
 */
final class SpanRules {

  /** The rules run by default; {@code -Dpii.ner.refine=} picks others. */
  static final String DEFAULT_RULES =
      "lower,list,poss,common,first,fstlow,surname,unsure,split,trim,addrname,country,"
          + "cue,tail,possall,pair,ctx,adverb,acronym,lowerword,lowstart,title,atin,edge,lines";

  private static final Set<String> REFINE =
      Set.of(System.getProperty("pii.ner.refine", DEFAULT_RULES).split(","));

  private static final boolean R_LOWER = REFINE.contains("lower");
  private static final boolean R_LIST = REFINE.contains("list");
  private static final boolean R_POSS = REFINE.contains("poss");
  private static final boolean R_COMMON = REFINE.contains("common");
  private static final boolean R_FIRST = REFINE.contains("first");
  static final boolean R_FIRSTLOWER = REFINE.contains("fstlow");
  static final boolean R_SURNAME = REFINE.contains("surname");
  private static final boolean R_SPLIT = REFINE.contains("split");
  private static final boolean R_TRIM = REFINE.contains("trim");
  private static final boolean R_ADDRNAME = REFINE.contains("addrname");
  private static final boolean R_COUNTRY = REFINE.contains("country");
  static final boolean R_UNSURE = REFINE.contains("unsure");
  private static final boolean R_CUE = REFINE.contains("cue");
  private static final boolean R_TAIL = REFINE.contains("tail");
  private static final boolean R_POSSALL = REFINE.contains("possall");
  private static final boolean R_PAIR = REFINE.contains("pair");
  private static final boolean R_CTX = REFINE.contains("ctx");
  private static final boolean R_ADVERB = REFINE.contains("adverb");
  private static final boolean R_ACRONYM = REFINE.contains("acronym");
  private static final boolean R_LOWERWORD = REFINE.contains("lowerword");
  private static final boolean R_LOWSTART = REFINE.contains("lowstart");
  private static final boolean R_TITLE = REFINE.contains("title");
  private static final boolean R_ATIN = REFINE.contains("atin");
  private static final boolean R_EDGE = REFINE.contains("edge");
  private static final boolean R_LINES = REFINE.contains("lines");

  /** The score of a PERSON span of the first-name fallback ({@link SpanAdditions#firstNames}). */
  static final double FIRST_NAME_SCORE = 0.3;

  private static final Set<String> POSTAL_WORDS = Set.of("zip", "zipcode", "postcode", "postal");

  private final Gazetteer gazetteer;
  private final SpanWords words;
  private final SpanAdditions additions;
  private final SpanTrims trims;

  SpanRules(Gazetteer gazetteer) {
    this.gazetteer = gazetteer;
    this.words = new SpanWords(gazetteer);
    this.additions = new SpanAdditions(gazetteer, words);
    this.trims = new SpanTrims(gazetteer, words);
  }

  /** Adds to {@code out} the spans to report for the tagger's {@code spans} over {@code tokens}. */
  void apply(Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out) {
    apply(tokens, spans, out, null);
  }

  /**
   * As {@link #apply(Tokens, List, List)}, reading the word lists of whole tokens from {@code
   * cache} (the detector's, for this rule set's gazetteer) if given: the same spans, fewer
   * look-ups.
   */
  void apply(
      Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out, TokenCache cache) {
    if (cache != null && cache.gazetteer != gazetteer) {
      throw new IllegalArgumentException("the token cache is for another gazetteer");
    }
    boolean placeNearby = false;
    for (SequenceTagger.TokenSpan s : spans) {
      placeNearby |=
          (s.type() == EntityType.ADDRESS || s.type() == EntityType.LOCATION)
              && hasLetter(tokens, s.first(), s.last());
    }
    if (R_ADDRNAME) {
      spans = additions.nameBeforeAddress(tokens, spans);
    }
    if (R_FIRST) {
      additions.firstNames(tokens, spans, out, cache);
    }
    if (R_PAIR) {
      additions.pairedNames(tokens, spans, out);
    }
    if (R_CTX) {
      additions.personContext(tokens, spans, out);
    }
    if (R_TITLE) {
      additions.appositiveTitles(tokens, spans, out);
    }
    if (R_ATIN) {
      additions.organisationInPlace(tokens, spans, out);
    }
    for (SequenceTagger.TokenSpan s : spans) {
      double score = 1 / (1 + Math.exp(-s.margin() / NameFinderDetector.MARGIN_SCALE));
      if (score < NameFinderDetector.MIN_SCORE
          || !(placeNearby
              || hasLetter(tokens, s.first(), s.last())
              || postalWordBefore(tokens, s.first()))) {
        continue;
      }
      refine(tokens, s.type(), s.first(), s.last(), score, out);
    }
  }

  /** The rules for one tagged span {@code [first, last)}, in order; each may end the span. */
  private void refine(
      Tokens tokens, EntityType type, int first, int last, double score, List<PiiSpan> out) {
    // rule lines: in the labelled data only an ADDRESS runs over a line break (Dozwil⏎Mongolia are
    // two places); each line is refined on its own
    if (R_LINES && type != EntityType.ADDRESS) {
      for (int k = first; k < last; k++) {
        if (tokens.text[k] == Tokens.NEWLINE) {
          if (k > first) {
            refine(tokens, type, first, k, score, out);
          }
          if (k + 1 < last) {
            refine(tokens, type, k + 1, last, score, out);
          }
          return;
        }
      }
    }
    if (R_LIST && nameList(tokens, first, last, score, out)) {
      return;
    }
    if (R_POSS && possessive(tokens, type, first, last, score, out)) {
      return;
    }
    if (R_SPLIT && splitAtSentenceEnd(tokens, type, first, last, score, out)) {
      return;
    }
    if (R_LOWSTART && type != EntityType.ADDRESS && lowerStart(tokens, first)) {
      while (first < last && Character.isLowerCase(tokens.text[first].charAt(0))) {
        first++;
      }
      if (first == last) {
        return;
      }
    }
    if (R_TRIM && type == EntityType.PERSON && last > first + 1) {
      first = trims.trimLeadingLowerCase(tokens, first);
    }
    if (R_CUE && type == EntityType.PERSON) {
      first = trims.trimCueWords(tokens, first, last);
    }
    if (R_TAIL && type == EntityType.PERSON) {
      last = trims.trimTrailingWords(tokens, first, last);
    }
    if (R_LOWERWORD
        && type != EntityType.ADDRESS
        && last == first + 1
        && lowerCommonWord(tokens, first)) {
      return;
    }
    if (type == EntityType.PERSON && last == first + 1) {
      type = oneWordPerson(tokens, first);
      if (type == null) {
        return;
      }
    }
    // rule edge, last so that the rules above see the span the tagger gave: a bullet or bracket
    // taken in (??? Dozwil, * Jj Keller, (Paris)) stays outside the mask; a final dot stays (Ltd.)
    if (R_EDGE) {
      while (first < last && !isWord(tokens.text[first])) {
        first++;
      }
      while (last > first && !isWord(tokens.text[last - 1]) && !tokens.text[last - 1].equals(".")) {
        last--;
      }
      if (first == last) {
        return;
      }
    }
    out.add(new PiiSpan(type, tokens.start[first], tokens.end[last - 1], score));
  }

  /**
   * Rule {@code list}: a span that is a list of names, whatever type the tagger gave it ({@code
   * Layla, Harry, Michele and Shelley}): capitalised words separated by commas, with {@code and} or
   * {@code &} before the last, at least three, two thirds of them first-list words. Emits one
   * PERSON span per name (extending over {@code , Name} / {@code and Name} the tagger left out).
   * CV: +0.003 alone.
   */
  private boolean nameList(Tokens tokens, int first, int last, double score, List<PiiSpan> out) {
    boolean upper = Character.isUpperCase(tokens.text[first].charAt(0));
    int end = last;
    int names = 0;
    int known = 0;
    boolean expectName = true;
    int i = first;
    List<Integer> at = new ArrayList<>();
    while (i < tokens.size) {
      String w = tokens.text[i];
      if (expectName) {
        if (w == Tokens.NEWLINE
            || !Character.isUpperCase(w.charAt(0))
            || Character.isUpperCase(w.charAt(0)) != upper
            || hasDigit(w)) {
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
   * Rule {@code poss}: in an ORGANIZATION or PERSON span that starts with a first name (first list
   * or gazetteer person), a capitalised possessive word after the first ({@code Tammy Kappel's
   * Cautionary Tales}) ends a PERSON span at the name, without the {@code 's}; the rest is dropped.
   * With rule {@code possall}, LOCATION spans too (+0.003 any-type F2 at IoU 0.9). CV: +0.005
   * alone.
   */
  private boolean possessive(
      Tokens tokens, EntityType type, int first, int last, double score, List<PiiSpan> out) {
    if (type != EntityType.ORGANIZATION
        && type != EntityType.PERSON
        && !(R_POSSALL && type == EntityType.LOCATION)) {
      return false;
    }
    for (int i = first; i < last - 1; i++) {
      String w = tokens.text[i];
      if (i > first
          && (w.endsWith("'s") || w.endsWith("’s"))
          && Character.isUpperCase(w.charAt(0))) {
        String f = tokens.text[first].toLowerCase(Locale.ROOT);
        if ((gazetteer.lists(f) & FIRST) != 0 || gazetteer.lookup(f).contains(EntityType.PERSON)) {
          out.add(
              new PiiSpan(
                  EntityType.PERSON, tokens.start[first], tokens.end[i] - 2, Math.max(score, 0.5)));
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Rule {@code split}: a PERSON span with a sentence end inside ({@code .}/{@code !}/{@code ?}
   * after a word of 4+ characters, so not after an initial: {@code salarymen. Unfortunately}) is
   * refined as two spans, before and after it. CV: +0.001.
   */
  private boolean splitAtSentenceEnd(
      Tokens tokens, EntityType type, int first, int last, double score, List<PiiSpan> out) {
    if (type != EntityType.PERSON) {
      return false;
    }
    for (int k = first + 1; k < last - 1; k++) {
      String w = tokens.text[k];
      if ((w.equals(".") || w.equals("!") || w.equals("?")) && tokens.text[k - 1].length() > 3) {
        refine(tokens, type, first, k, score, out);
        refine(tokens, type, k + 1, last, score, out);
        return true;
      }
    }
    return false;
  }

  /**
   * Rules for a one-word PERSON span; returns its type, or null to drop it.
   *
   * <ul>
   *   <li>{@code country}: a country-list word that is no first or last name ({@code Myanmar}, left
   *       over by a split) is a LOCATION. CV: +0.0025.
   *   <li>{@code lower}: a lower-case word that no name list or gazetteer person knows ({@code
   *       felines}) is dropped. CV: +0.0016 alone.
   *   <li>{@code common}: a common-list word that is no first or last name nor gazetteer person
   *       ({@code Just}, {@code Devil}) is dropped. CV: +0.0008 alone.
   *   <li>{@code adverb}: a capitalised word of 6+ letters ending in {@code -ly} that no name list
   *       has ({@code Unfortunately}) is dropped. CV: +0.001 (any type).
   *   <li>{@code acronym}: a word of 2 to 4 capitals that no name list has ({@code RR}) is dropped.
   *       CV: +0.001 (any type).
   * </ul>
   */
  private EntityType oneWordPerson(Tokens tokens, int i) {
    EntityType type = EntityType.PERSON;
    String w = tokens.text[i];
    String lower = w.toLowerCase(Locale.ROOT);
    int lists = gazetteer.lists(lower);
    if (R_COUNTRY && (lists & COUNTRY) != 0 && (lists & (FIRST | LAST)) == 0) {
      type = EntityType.LOCATION;
    }
    boolean name =
        (lists & (FIRST | LAST)) != 0 || gazetteer.lookup(lower).contains(EntityType.PERSON);
    if (R_LOWER && !name && w.equals(lower)) {
      return null;
    }
    if (R_COMMON
        && (lists & COMMON) != 0
        && (lists & (FIRST | LAST)) == 0
        && !gazetteer.lookup(lower).contains(EntityType.PERSON)) {
      return null;
    }
    if (R_ADVERB
        && !name
        && w.length() >= 6
        && lower.endsWith("ly")
        && Character.isUpperCase(w.charAt(0))) {
      return null;
    }
    if (R_ACRONYM && !name && w.length() <= 4 && w.length() >= 2 && allUpper(w)) {
      return null;
    }
    return type;
  }

  /**
   * Rule {@code lowerword}: a one-word span (not ADDRESS) of a lower-case common-list word in a
   * text that writes capitals ({@code new} in {@code invested heavily in new microprocessor
   * designs}): such texts capitalise names, places and organisations. All-lower-case texts are left
   * alone. CV: +0.001 (any type), LOCATION +0.005.
   */
  private boolean lowerCommonWord(Tokens tokens, int i) {
    String w = tokens.text[i];
    if (!Character.isLowerCase(w.charAt(0))
        || (gazetteer.lists(w) & COMMON) == 0
        || !w.equals(w.toLowerCase(Locale.ROOT))) {
      return false;
    }
    for (int k = 0; k < tokens.size; k++) {
      String t = tokens.text[k];
      if (k != i && t != Tokens.NEWLINE && Character.isUpperCase(t.charAt(0))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Rule {@code lowstart}: a span (not ADDRESS) that starts with a lower-case word that is no name
   * particle, in a text that writes capitals, loses its lower-case words in front ({@code satanic
   * felines and interstellar}); a span of lower-case words only is dropped. Such texts capitalise
   * names, places and organisations. CV (alone, any-type F2 at IoU 0.9 / 0.5): +0.0009 / +0.0009,
   * ORGANIZATION +0.007 (templates 104 and 34).
   */
  private static boolean lowerStart(Tokens tokens, int first) {
    String w = tokens.text[first];
    if (!Character.isLowerCase(w.charAt(0)) || PARTICLES.contains(w)) {
      return false;
    }
    for (int k = 0; k < tokens.size; k++) {
      String t = tokens.text[k];
      if (k != first
          && t != Tokens.NEWLINE
          && t.length() > 1
          && Character.isUpperCase(t.charAt(0))
          && Character.isLowerCase(t.charAt(1))) {
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
}
