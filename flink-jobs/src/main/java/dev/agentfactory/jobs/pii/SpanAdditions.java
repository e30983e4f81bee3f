package dev.agentfactory.jobs.pii;

import static dev.agentfactory.jobs.pii.SpanRules.R_FIRSTLOWER;
import static dev.agentfactory.jobs.pii.SpanRules.R_SURNAME;
import static dev.agentfactory.jobs.pii.SpanRules.R_UNSURE;
import static dev.agentfactory.jobs.pii.SpanWords.COMMON;
import static dev.agentfactory.jobs.pii.SpanWords.FIRST;
import static dev.agentfactory.jobs.pii.SpanWords.LAST;
import static dev.agentfactory.jobs.pii.SpanWords.OTHER_WORDS;
import static dev.agentfactory.jobs.pii.SpanWords.PLACE_WORDS;
import static dev.agentfactory.jobs.pii.SpanWords.PREFIXES;
import static dev.agentfactory.jobs.pii.SpanWords.UNITS;
import static dev.agentfactory.jobs.pii.SpanWords.hasDigit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@link SpanRules} that add spans the tagger did not give, from the spans it did and the words
 * around them: first names ({@code first}), pairs ({@code pair}), person contexts ({@code ctx}),
 * titles ({@code title}), organisations at a place ({@code atin}), and the name in front of an
 * address ({@code addrname}). Stateless and thread-safe.
 */
final class SpanAdditions {

  private final Gazetteer gazetteer;
  private final SpanWords words;

  SpanAdditions(Gazetteer gazetteer, SpanWords words) {
    this.gazetteer = gazetteer;
    this.words = words;
  }

  /** Nouns that, after a possessive, say the word before is a person ({@code Hleb's address}). */
  private static final Set<String> PERSONAL_NOUNS =
      Set.of("address", "phone", "number", "email", "birthday", "account", "card");

  /**
   * Rule {@code first} (first-name fallback): a first name outside every tagged span: a word of the
   * {@code first} list that no other list knows (not {@code Will}, {@code Paris}), capitalised, as
   * a PERSON span scoring {@link SpanRules#FIRST_NAME_SCORE}, so any surer detector wins an
   * overlap. The tagger misses such names in sentence shapes it has not seen ({@code Vittore, can I
   * ...}, {@code here's Liam's address}). With {@code surname}, a following capitalised {@code
   * last}-list or unknown word is its surname ({@link #surname}); with {@code unsure}, tagger spans
   * with a negative margin (score &lt; 0.5, which may lose an overlap) cover nothing; with {@code
   * fstlow}, a lower-case first name counts when the learned gazetteer knows the word. CV: +0.0055
   * (first), +0.0045 (unsure), surname +0.006 together with unsure.
   */
  void firstNames(
      Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out, TokenCache cache) {
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
      out.add(new PiiSpan(EntityType.PERSON, tokens.start[i], end, SpanRules.FIRST_NAME_SCORE));
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

  /**
   * Rule {@code pair}: the first of two names joined by {@code and} when the tagger found only the
   * second ({@code Sjöberg and Cantu}, {@code norberg and smith}): a one-word PERSON span after
   * {@code and}, with a word before the {@code and} of the same case that no span covers, is no
   * common word and no place-list word (unless a name list has it), gets a PERSON span for that
   * word too. CV: +0.005 / +0.005 (any type, IoU 0.9 / 0.5).
   */
  void pairedNames(Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out) {
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
   * SpanRules#FIRST_NAME_SCORE}. CV: +0.007 / +0.002 (any type, IoU 0.9 / 0.5).
   */
  void personContext(Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out) {
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
              SpanRules.FIRST_NAME_SCORE));
    }
  }

  /**
   * Rule {@code title}: a job title in apposition after a name ({@code Matthew Sedej, the Outside
   * order clerk, said}): after a PERSON span, {@code , the}, a capitalised word and one to six
   * lower-case words up to a comma, as a TITLE span; no word of it may be in a name list. CV
   * (alone): any-type +0.0029 / +0.0029, TITLE 0.09 -> 0.44; rests on one template (180).
   */
  void appositiveTitles(Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out) {
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
          || words.nameWord(head)) {
        continue;
      }
      int k = f + 1;
      while (k < tokens.size
          && k - f <= 6
          && !covered[k]
          && Character.isLowerCase(tokens.text[k].charAt(0))
          && !words.nameWord(tokens.text[k])) {
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
  void organisationInPlace(Tokens tokens, List<SequenceTagger.TokenSpan> spans, List<PiiSpan> out) {
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
                EntityType.ORGANIZATION,
                tokens.start[f],
                tokens.end[in - 1],
                SpanRules.FIRST_NAME_SCORE));
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
   * Rule {@code addrname}: a name in front of an address on one line ({@code Miss Ashley Kvamme
   * Apt. 722 20 rue Victor Hugo}): an ADDRESS span that starts with (a prefix and) a first name and
   * a capitalised word followed by a number or a unit word ({@code Apt}, {@code Suite}) loses the
   * name to a PERSON span; a PERSON span ending in a first name right before such an ADDRESS span
   * ({@code Mrs. Diana} + {@code Weöres Apt. 434 …}) takes the surname back. CV: +0.005 (one
   * template).
   */
  List<SequenceTagger.TokenSpan> nameBeforeAddress(
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
          && words.firstName(tokens.text[f - 1])
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
            && words.firstName(tokens.text[p])
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
}
