package dev.agentfactory.jobs.pii;

import static dev.agentfactory.jobs.pii.SpanWords.COMMON;
import static dev.agentfactory.jobs.pii.SpanWords.FIRST;
import static dev.agentfactory.jobs.pii.SpanWords.PARTICLES;
import static dev.agentfactory.jobs.pii.SpanWords.PREFIXES;

import java.util.Locale;
import java.util.Set;

/**
 * The {@link SpanRules} that trim the words in front of and behind a PERSON span that are no part
 * of the name ({@code trim}, {@code cue}, {@code tail}). Stateless and thread-safe.
 */
final class SpanTrims {

  /** Greetings before a name ({@code Hi Romilda}). */
  private static final Set<String> GREETINGS = Set.of("hi", "hello", "hey", "dear", "thanks");

  private final Gazetteer gazetteer;
  private final SpanWords words;

  SpanTrims(Gazetteer gazetteer, SpanWords words) {
    this.gazetteer = gazetteer;
    this.words = words;
  }

  /**
   * Rule {@code trim}: a PERSON span of two or more tokens loses a leading lower-case word before a
   * capitalised one ({@code starring Mikolčić}), unless it is a name particle ({@code van Gogh}).
   * Returns the new first token. CV: +0.005.
   */
  static int trimLeadingLowerCase(Tokens tokens, int first) {
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
  int trimCueWords(Tokens tokens, int first, int last) {
    for (int k = first; k < last - 1; k++) {
      String w = tokens.text[k];
      if (!Character.isLowerCase(w.charAt(0))) {
        if (!Character.isLetter(w.charAt(0)) || words.nameWord(w)) {
          break;
        }
        continue;
      }
      if (!PARTICLES.contains(w)
          && k > first
          && Character.isUpperCase(tokens.text[k + 1].charAt(0))
          && !words.nameWord(w)) {
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
          || words.nameWord(w)) {
        break;
      }
      boolean commonBeforeName =
          (gazetteer.lists(lower) & COMMON) != 0 && words.nameWord(tokens.text[first + 1]);
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
  int trimTrailingWords(Tokens tokens, int first, int last) {
    while (last - first >= 2) {
      String w = tokens.text[last - 1];
      if (!Character.isLowerCase(w.charAt(0)) || PARTICLES.contains(w) || words.nameWord(w)) {
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
}
