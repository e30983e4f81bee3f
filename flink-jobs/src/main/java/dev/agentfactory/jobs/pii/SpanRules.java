package dev.agentfactory.jobs.pii;

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
 * boundaries"). Stateless and thread-safe.
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
  private static final boolean R_FIRSTLOWER = REFINE.contains("fstlow");
  private static final boolean R_SURNAME = REFINE.contains("surname");
  private static final boolean R_SPLIT = REFINE.contains("split");
  private static final boolean R_TRIM = REFINE.contains("trim");
  private static final boolean R_ADDRNAME = REFINE.contains("addrname");
  private static final boolean R_COUNTRY = REFINE.contains("country");
  private static final boolean R_UNSURE = REFINE.contains("unsure");
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

  /** The score of a PERSON span of the first-name fallback ({@link #firstNames}). */
  static final double FIRST_NAME_SCORE = 0.3;

  private static final int COMMON = 1 << Gazetteer.LIST_NAMES.indexOf("common");
  private static final int FIRST = 1 << Gazetteer.LIST_NAMES.indexOf("first");
  private static final int LAST = 1 << Gazetteer.LIST_NAMES.indexOf("last");
  private static final int COUNTRY = 1 << Gazetteer.LIST_NAMES.indexOf("country");
  private static final int PLACE_WORDS =
      COUNTRY
          | (1 << Gazetteer.LIST_NAMES.indexOf("city"))
          | (1 << Gazetteer.LIST_NAMES.indexOf("street"));
  private static final int OTHER_WORDS =
      COMMON
          | (1 << Gazetteer.LIST_NAMES.indexOf("city"))
          | (1 << Gazetteer.LIST_NAMES.indexOf("street"))
          | COUNTRY
          | (1 << Gazetteer.LIST_NAMES.indexOf("company"));

  /** Lower-case name particles that may start a name ({@code van Gogh}). */
  private static final Set<String> PARTICLES =
      Set.of(
          "van", "von", "de", "da", "di", "del", "della", "der", "den", "du", "le", "la", "ten",
          "ter", "al", "el", "bin", "ibn");

  private static final Set<String> PREFIXES =
      Set.of("mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "mx", "rev", "lady", "lord");
  private static final Set<String> UNITS =
      Set.of("apt", "apartment", "suite", "ste", "unit", "floor", "fl", "box", "psc", "flat");

  /** Greetings before a name ({@code Hi Romilda}). */
  private static final Set<String> GREETINGS = Set.of("hi", "hello", "hey", "dear", "thanks");

  /** Nouns that, after a possessive, say the word before is a person ({@code Hleb's address}). */
  private static final Set<String> PERSONAL_NOUNS =
      Set.of("address", "phone", "number", "email", "birthday", "account", "card");

  private static final Set<String> POSTAL_WORDS = Set.of("zip", "zipcode", "postcode", "postal");

  private final Gazetteer gazetteer;

  SpanRules(Gazetteer gazetteer) {
    this.gazetteer = gazetteer;
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
      Tokens tokens,
      List<SequenceTagger.TokenSpan> spans,
      List<PiiSpan> out,
      NameFeatures.TokenCache cache) {
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
      spans = nameBeforeAddress(tokens, spans);
    }
    if (R_FIRST) {
      firstNames(tokens, spans, out, cache);
    }
    if (R_PAIR) {
      pairedNames(tokens, spans, out);
    }
    if (R_CTX) {
      personContext(tokens, spans, out);
    }
    if (R_TITLE) {
      appositiveTitles(tokens, spans, out);
    }
    if (R_ATIN) {
      organisationInPlace(tokens, spans, out);
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
      first = trimLeadingLowerCase(tokens, first);
    }
    if (R_CUE && type == EntityType.PERSON) {
      first = trimCueWords(tokens, first, last);
    }
    if (R_TAIL && type == EntityType.PERSON) {
      last = trimTrailingWords(tokens, first, last);
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
   * Rule {@code trim}: a PERSON span of two or more tokens loses a leading lower-case word before a
   * capitalised one ({@code starring Mikolčić}), unless it is a name particle ({@code van Gogh}).
   * Returns the new first token. CV: +0.005.
   */
  private static int trimLeadingLowerCase(Tokens tokens, int first) {
    String w = tokens.text[first];
    if (Character.isLowerCase(w.charAt(0))
        && !PARTICLES.contains(w)
        && Character.isUpperCase(tokens.text[first + 1].charAt(0))) {
      return first + 1;
    }
    return first;
  }

  /**
   * Rule {@code cue}: a PERSON span loses the words in front of the name that are no name: a
   * greeting ({@code Hi Romilda}), a common-list word that no name list has before a name-list word
   * ({@code Officer Torben}, not {@code Social Explorer}), a word no name list has in front of a
   * first-list word and one more word ({@code Producer Michael Hansen}, {@code producer matthew
   * pušaver}), and everything up to a lower-case word before a capitalised one ({@code RR commenter
   * Luis Dill}). Prefixes ({@code Dr.}) and particles stay. CV (alone, any-type F2 at IoU 0.9 /
   * 0.5): +0.011 / +0.007; with any first-list word before a full name, +0.001 more on top of the
   * other new rules.
   */
  private int trimCueWords(Tokens tokens, int first, int last) {
    for (int k = first; k < last - 1; k++) {
      String w = tokens.text[k];
      if (!Character.isLowerCase(w.charAt(0))) {
        if (!Character.isLetter(w.charAt(0)) || nameWord(w)) {
          break;
        }
        continue;
      }
      if (!PARTICLES.contains(w)
          && k > first
          && Character.isUpperCase(tokens.text[k + 1].charAt(0))
          && !nameWord(w)) {
        first = k + 1;
      }
      break;
    }
    while (last - first >= 2) {
      String w = tokens.text[first];
      String lower = w.toLowerCase(Locale.ROOT);
      if (!Character.isLetter(w.charAt(0))
          || PREFIXES.contains(lower)
          || PARTICLES.contains(lower)
          || nameWord(w)) {
        break;
      }
      boolean commonBeforeName =
          (gazetteer.lists(lower) & COMMON) != 0 && nameWord(tokens.text[first + 1]);
      boolean beforeFullName =
          last - first >= 3
              && (gazetteer.lists(tokens.text[first + 1].toLowerCase(Locale.ROOT)) & FIRST) != 0;
      if (GREETINGS.contains(lower) || commonBeforeName || beforeFullName) {
        first++;
      } else {
        break;
      }
    }
    return first;
  }

  /**
   * Rule {@code tail}: a PERSON span of two or more words loses a last word in lower case that no
   * name list has and that is a common-list word or looks like a verb or adverb ({@code michael
   * jurković md listed}: {@code -ed}, {@code -ing}, {@code -ly}). CV: +0.0004 at IoU 0.9 (one
   * sample), none at 0.5.
   */
  private int trimTrailingWords(Tokens tokens, int first, int last) {
    while (last - first >= 2) {
      String w = tokens.text[last - 1];
      if (!Character.isLowerCase(w.charAt(0)) || PARTICLES.contains(w) || nameWord(w)) {
        break;
      }
      boolean verbLike =
          w.length() >= 5 && (w.endsWith("ed") || w.endsWith("ing") || w.endsWith("ly"));
      if ((gazetteer.lists(w) & COMMON) != 0 || verbLike) {
        last--;
      } else {
        break;
      }
    }
    return last;
  }

  /** Whether a word is in the first or last list or a gazetteer person. */
  private boolean nameWord(String w) {
    String lower = w.toLowerCase(Locale.ROOT);
    return (gazetteer.lists(lower) & (FIRST | LAST)) != 0
        || gazetteer.lookup(lower).contains(EntityType.PERSON);
  }

  /**
   * Rule {@code pair}: the first of two names joined by {@code and} when the tagger found only the
   * second ({@code Sjöberg and Cantu}, {@code norberg and smith}): a one-word PERSON span after
   * {@code and}, with a word before the {@code and} of the same case that no span covers, is no
   * common word and no place-list word (unless a name list has it), gets a PERSON span for that
   * word too. CV: +0.005 / +0.005 (any type, IoU 0.9 / 0.5).
   */
  private void pairedNames(Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out) {
    boolean[] covered = covered(tokens, spans);
    for (SequenceTagger.TokenSpan s : spans) {
      int i = s.first();
      if (s.type() == EntityType.PERSON
          && s.last() == i + 1
          && i >= 2
          && tokens.text[i - 1].equals("and")
          && !covered[i - 2]
          && pairedWord(tokens.text[i - 2], tokens.text[i])) {
        double score = 1 / (1 + Math.exp(-s.margin() / NameFinderDetector.MARGIN_SCALE));
        out.add(new PiiSpan(EntityType.PERSON, tokens.start[i - 2], tokens.end[i - 2], score));
      }
    }
  }

  /**
   * Whether {@code w} can be a name paired with the name {@code y}: a word of the same case, no
   * digit, no common word, no place-list word unless a name list has it.
   */
  private boolean pairedWord(String w, String y) {
    if (w.length() < 2
        || hasDigit(w)
        || !Character.isLetter(w.charAt(0))
        || Character.isUpperCase(w.charAt(0)) != Character.isUpperCase(y.charAt(0))
        || Character.isUpperCase(w.charAt(1))) {
      return false;
    }
    String lower = w.toLowerCase(Locale.ROOT);
    int lists = gazetteer.lists(lower);
    boolean name = (lists & (FIRST | LAST)) != 0;
    return (lists & COMMON) == 0 && ((lists & PLACE_WORDS) == 0 || name);
  }

  /**
   * Rule {@code ctx}: a capitalised word outside every tagged span in a clear person context: a
   * possessive before a personal noun ({@code Hleb's address}, {@code phone}, {@code email}) or the
   * word before {@code is from} ({@code Gréta is from Sas}), when it is no common word and no
   * place-list word (unless a name list has it), as a PERSON span scoring {@link
   * #FIRST_NAME_SCORE}. CV: +0.007 / +0.002 (any type, IoU 0.9 / 0.5).
   */
  private void personContext(
      Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out) {
    boolean[] covered = covered(tokens, spans);
    for (int i = 0; i + 1 < tokens.size; i++) {
      String w = tokens.text[i];
      if (covered[i] || w.length() < 2 || !Character.isUpperCase(w.charAt(0))) {
        continue;
      }
      boolean poss = w.endsWith("'s") || w.endsWith("\u2019s");
      String word = poss ? w.substring(0, w.length() - 2) : w;
      boolean context =
          poss
              ? PERSONAL_NOUNS.contains(tokens.text[i + 1].toLowerCase(Locale.ROOT))
              : i + 2 < tokens.size
                  && tokens.text[i + 1].equals("is")
                  && tokens.text[i + 2].equals("from");
      if (!context
          || word.length() < 2
          || hasDigit(word)
          || Character.isUpperCase(word.charAt(1))) {
        continue;
      }
      String lower = word.toLowerCase(Locale.ROOT);
      int lists = gazetteer.lists(lower);
      boolean name = (lists & (FIRST | LAST)) != 0;
      if ((lists & COMMON) != 0 || ((lists & (PLACE_WORDS | OTHER_WORDS)) != 0 && !name)) {
        continue;
      }
      out.add(
          new PiiSpan(
              EntityType.PERSON,
              tokens.start[i],
              tokens.start[i] + word.length(),
              FIRST_NAME_SCORE));
    }
  }

  /**
   * Rule {@code title}: a job title in apposition after a name ({@code Matthew Sedej, the Outside
   * order clerk, said}): after a PERSON span, {@code , the}, a capitalised word and one to six
   * lower-case words up to a comma, as a TITLE span; no word of it may be in a name list. CV
   * (alone): any-type +0.0029 / +0.0029, TITLE 0.09 -> 0.44; rests on one template (180).
   */
  private void appositiveTitles(
      Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out) {
    boolean[] covered = covered(tokens, spans);
    for (SequenceTagger.TokenSpan s : spans) {
      int i = s.last();
      if (s.type() != EntityType.PERSON
          || i + 3 >= tokens.size
          || !tokens.text[i].equals(",")
          || !tokens.text[i + 1].equalsIgnoreCase("the")) {
        continue;
      }
      int f = i + 2;
      String head = tokens.text[f];
      if (covered[f]
          || !Character.isUpperCase(head.charAt(0))
          || hasDigit(head)
          || nameWord(head)) {
        continue;
      }
      int k = f + 1;
      while (k < tokens.size
          && k - f <= 6
          && !covered[k]
          && Character.isLowerCase(tokens.text[k].charAt(0))
          && !nameWord(tokens.text[k])) {
        k++;
      }
      if (k > f + 1 && k < tokens.size && k - f <= 7 && tokens.text[k].equals(",")) {
        double score = 1 / (1 + Math.exp(-s.margin() / NameFinderDetector.MARGIN_SCALE));
        out.add(
            new PiiSpan(
                EntityType.TITLE, tokens.start[f], tokens.end[k - 1], Math.min(score, 0.5)));
      }
    }
  }

  /**
   * Rule {@code atin}: an organisation before a place ({@code at Billguard in San Giovanni}): one
   * to four capitalised words no tagged span covers between {@code at} and {@code in}, when a
   * LOCATION or ADDRESS span starts right after the {@code in}, as an ORGANIZATION span.
   */
  private void organisationInPlace(
      Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out) {
    boolean[] covered = covered(tokens, spans);
    for (SequenceTagger.TokenSpan s : spans) {
      int in = s.first() - 1;
      if ((s.type() != EntityType.LOCATION && s.type() != EntityType.ADDRESS)
          || in < 2
          || !tokens.text[in].equals("in")) {
        continue;
      }
      int f = in;
      while (f - 1 >= 0
          && in - f < 4
          && !covered[f - 1]
          && Character.isUpperCase(tokens.text[f - 1].charAt(0))
          && !hasDigit(tokens.text[f - 1])) {
        f--;
      }
      if (f < in && f >= 1 && tokens.text[f - 1].equals("at")) {
        out.add(
            new PiiSpan(
                EntityType.ORGANIZATION, tokens.start[f], tokens.end[in - 1], FIRST_NAME_SCORE));
      }
    }
  }

  /** The tokens inside a tagged span the tagger is sure of (margin &ge; 0). */
  private static boolean[] covered(Tokens tokens, List<SequenceTagger.TokenSpan> spans) {
    boolean[] covered = new boolean[tokens.size];
    for (SequenceTagger.TokenSpan s : spans) {
      for (int i = s.first(); i < s.last() && s.margin() >= 0; i++) {
        covered[i] = true;
      }
    }
    return covered;
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
   * Rule {@code first} (first-name fallback): a first name outside every tagged span: a word of the
   * {@code first} list that no other list knows (not {@code Will}, {@code Paris}), capitalised, as
   * a PERSON span scoring {@link #FIRST_NAME_SCORE}, so any surer detector wins an overlap. The
   * tagger misses such names in sentence shapes it has not seen ({@code Vittore, can I ...}, {@code
   * here's Liam's address}). With {@code surname}, a following capitalised {@code last}-list or
   * unknown word is its surname ({@link #surname}); with {@code unsure}, tagger spans with a
   * negative margin (score &lt; 0.5, which may lose an overlap) cover nothing; with {@code fstlow},
   * a lower-case first name counts when the learned gazetteer knows the word. CV: +0.0055 (first),
   * +0.0045 (unsure), surname +0.006 together with unsure.
   */
  private void firstNames(
      Tokens tokens,
      List<SequenceTagger.TokenSpan> spans,
      List<PiiSpan> out,
      NameFeatures.TokenCache cache) {
    boolean[] covered = new boolean[tokens.size];
    for (SequenceTagger.TokenSpan s : spans) {
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
      int lists;
      if (cache != null && cut == 0) {
        lists = cache.lists[cache.slot(word)];
      } else {
        lists = gazetteer.lists(word.toLowerCase(Locale.ROOT));
      }
      if ((lists & FIRST) == 0 || (lists & OTHER_WORDS) != 0) {
        continue;
      }
      if (!Character.isUpperCase(word.charAt(0))
          && gazetteer.lookup(word.toLowerCase(Locale.ROOT)).isEmpty()) {
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
   * a {@code last} list word or, with rule {@code surname}, a word no list knows ({@code Lahtela}).
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

  private static boolean allUpper(String w) {
    for (int c = 0; c < w.length(); c++) {
      if (!Character.isUpperCase(w.charAt(c))) {
        return false;
      }
    }
    return true;
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
   * Rule {@code addrname}: a name in front of an address on one line ({@code Miss Ashley Kvamme
   * Apt. 722 20 rue Victor Hugo}): an ADDRESS span that starts with (a prefix and) a first name and
   * a capitalised word followed by a number or a unit word ({@code Apt}, {@code Suite}) loses the
   * name to a PERSON span; a PERSON span ending in a first name right before such an ADDRESS span
   * ({@code Mrs. Diana} + {@code Weöres Apt. 434 …}) takes the surname back. CV: +0.005 (one
   * template).
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

  /** True for a token that starts with a letter or digit (not punctuation, not a line break). */
  private static boolean isWord(String w) {
    return w != Tokens.NEWLINE && Character.isLetterOrDigit(w.codePointAt(0));
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
