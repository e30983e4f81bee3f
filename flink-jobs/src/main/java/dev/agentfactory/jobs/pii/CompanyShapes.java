package dev.agentfactory.jobs.pii;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Organisation names in the shapes Faker gives company names: a surname with a legal suffix ({@code
 * Smith Ltd.}, {@code frost llc}, {@code Hagenes and Sons}) and two surnames joined by a hyphen
 * ({@code Mayer-Watkins}). Surnames are words of the {@code last} word list ({@link Gazetteer}); a
 * hyphenated pair whose first part is also a first name ({@code Anne-Lise}) or a place word is not
 * taken. The suffix shape scores {@value #SUFFIX_SCORE}, the hyphen shape {@value #HYPHEN_SCORE},
 * so that a confident name-finder span still wins an overlap.
 */
final class CompanyShapes implements Detector {

  static final double SUFFIX_SCORE = 0.9;
  static final double HYPHEN_SCORE = 0.7;

  private static final Set<String> SUFFIXES =
      Set.of("llc", "inc", "ltd", "plc", "group", "corp", "gmbh", "llp");

  private static final int FIRST = 1 << Gazetteer.LIST_NAMES.indexOf("first");
  private static final int LAST = 1 << Gazetteer.LIST_NAMES.indexOf("last");
  private static final int PLACE =
      (1 << Gazetteer.LIST_NAMES.indexOf("city")) | (1 << Gazetteer.LIST_NAMES.indexOf("street"));

  private final Gazetteer lists;

  CompanyShapes(Gazetteer lists) {
    this.lists = lists;
  }

  static CompanyShapes bundled() {
    return Holder.INSTANCE;
  }

  @Override
  public void detect(ScanText text, List<PiiSpan> out) {
    Tokens t = text.tokens();
    for (int i = 0; i < t.size; i++) {
      String w = t.text[i];
      if (!Character.isLetter(w.charAt(0))) {
        continue;
      }
      int hyphen = w.indexOf('-');
      boolean pair = hyphen > 0 && isSurnamePair(w, hyphen);
      if (!pair && !(Character.isUpperCase(w.charAt(0)) || surname(w))) {
        continue;
      }
      int end = suffixEnd(t, i + 1);
      if (end > 0) {
        out.add(new PiiSpan(EntityType.ORGANIZATION, t.start[i], end, SUFFIX_SCORE));
      } else if (pair) {
        out.add(new PiiSpan(EntityType.ORGANIZATION, t.start[i], t.end[i], HYPHEN_SCORE));
      }
    }
  }

  /** The end offset of a legal suffix starting at token {@code j} (with its dot), or -1. */
  private static int suffixEnd(Tokens t, int j) {
    if (j >= t.size) {
      return -1;
    }
    String s = t.text[j].toLowerCase(Locale.ROOT);
    int last;
    if (SUFFIXES.contains(s)) {
      last = j;
    } else if (s.equals("and")
        && j + 1 < t.size
        && t.text[j + 1].toLowerCase(Locale.ROOT).equals("sons")) {
      last = j + 1;
    } else {
      return -1;
    }
    if (last + 1 < t.size && t.text[last + 1].equals(".") && t.start[last + 1] == t.end[last]) {
      return t.end[last + 1];
    }
    return t.end[last];
  }

  private boolean surname(String w) {
    return (lists.lists(w.toLowerCase(Locale.ROOT)) & LAST) != 0;
  }

  private boolean isSurnamePair(String w, int hyphen) {
    if (w.indexOf('-', hyphen + 1) >= 0 || hyphen + 1 >= w.length()) {
      return false;
    }
    String a = w.substring(0, hyphen);
    String b = w.substring(hyphen + 1);
    if (!Character.isUpperCase(a.charAt(0)) || !Character.isUpperCase(b.charAt(0))) {
      return false;
    }
    int la = lists.lists(a.toLowerCase(Locale.ROOT));
    int lb = lists.lists(b.toLowerCase(Locale.ROOT));
    return (la & LAST) != 0 && (lb & LAST) != 0 && (la & (FIRST | PLACE)) == 0;
  }

  private static final class Holder {
    static final CompanyShapes INSTANCE = new CompanyShapes(Gazetteer.bundled());
  }
}
