package dev.agentfactory.jobs.pii;

import java.util.Locale;
import java.util.Set;

/**
 * The word lists and word predicates the {@link SpanRules} share: the bits of the gazetteer's word
 * lists, name particles, prefixes and unit words, and whether a word is a name, a first name, a
 * word at all. Stateless and thread-safe.
 */
final class SpanWords {

  static final int COMMON = 1 << Gazetteer.LIST_NAMES.indexOf("common");
  static final int FIRST = 1 << Gazetteer.LIST_NAMES.indexOf("first");
  static final int LAST = 1 << Gazetteer.LIST_NAMES.indexOf("last");
  static final int COUNTRY = 1 << Gazetteer.LIST_NAMES.indexOf("country");
  static final int PLACE_WORDS =
      COUNTRY
          | (1 << Gazetteer.LIST_NAMES.indexOf("city"))
          | (1 << Gazetteer.LIST_NAMES.indexOf("street"));
  static final int OTHER_WORDS =
      COMMON
          | (1 << Gazetteer.LIST_NAMES.indexOf("city"))
          | (1 << Gazetteer.LIST_NAMES.indexOf("street"))
          | COUNTRY
          | (1 << Gazetteer.LIST_NAMES.indexOf("company"));

  /** Lower-case name particles that may start a name ({@code van Gogh}). */
  static final Set<String> PARTICLES =
      Set.of(
          "van", "von", "de", "da", "di", "del", "della", "der", "den", "du", "le", "la", "ten",
          "ter", "al", "el", "bin", "ibn");

  static final Set<String> PREFIXES =
      Set.of("mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "mx", "rev", "lady", "lord");
  static final Set<String> UNITS =
      Set.of("apt", "apartment", "suite", "ste", "unit", "floor", "fl", "box", "psc", "flat");

  private final Gazetteer gazetteer;

  SpanWords(Gazetteer gazetteer) {
    this.gazetteer = gazetteer;
  }

  /** Whether a word is in the first or last list or a gazetteer person. */
  boolean nameWord(String w) {
    String lower = w.toLowerCase(Locale.ROOT);
    return (gazetteer.lists(lower) & (FIRST | LAST)) != 0
        || gazetteer.lookup(lower).contains(EntityType.PERSON);
  }

  boolean firstName(String w) {
    if (w.isEmpty() || !Character.isUpperCase(w.charAt(0))) {
      return false;
    }
    int lists = gazetteer.lists(w.toLowerCase(Locale.ROOT));
    return (lists & FIRST) != 0 && (lists & OTHER_WORDS) == 0;
  }

  static boolean allUpper(String w) {
    for (int c = 0; c < w.length(); c++) {
      if (!Character.isUpperCase(w.charAt(c))) {
        return false;
      }
    }
    return true;
  }

  /** True for a token that starts with a letter or digit (not punctuation, not a line break). */
  static boolean isWord(String w) {
    return w != Tokens.NEWLINE && Character.isLetterOrDigit(w.codePointAt(0));
  }

  static boolean hasDigit(String w) {
    for (int c = 0; c < w.length(); c++) {
      if (Character.isDigit(w.charAt(c))) {
        return true;
      }
    }
    return false;
  }
}
