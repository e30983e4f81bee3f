package dev.agentfactory.jobs.pii;

import java.util.List;
import java.util.Set;

/**
 * Drops name-type spans (PERSON, LOCATION, ORGANIZATION, ADDRESS, TITLE, PREFIX: the tagger's, the
 * phrase list's and the company shapes') that lie on code, paths or table structure in tool output,
 * where the prose-trained tagger sees capitalised words it takes for names ({@code SessionManager},
 * {@code Dload Upload Total Spent Left Speed}, {@code bin/Parser}). Each test is a shape that no
 * name of the labelled data has (docs/pii.md, "Measured quality", 2026-11-27):
 *
 * <ul>
 *   <li>a span with a <b>code token</b>: an identifier in camel case ({@code placedAt}, {@code
 *       NullPointerException}: two inner capitals, or one after 3+ lower-case letters; not {@code
 *       McDonald}, {@code DeRose}), or a word glued to {@code _}, to a {@code .} that is glued to a
 *       word ({@code com.acme}, {@code Parser.java}), to a path separator (2+ characters: not
 *       {@code C/ Mayor}) ({@code bin/Parser}, {@code C:\Users\Public}), to a {@code :} glued to a
 *       word ({@code 09:14}, {@code store.go:57}), to a bracket or brace ({@code [INFO]}), to
 *       {@code =}, {@code <}, {@code @}, {@code $} before it or {@code (}, {@code =}, {@code <},
 *       {@code >}, {@code ;} after it; words inside an e-mail address, URL or other pattern span do
 *       not count;
 *   <li>a span of 4+ words, half or more of them one word ({@link #repetitive}: {@code y y y y});
 *   <li>a span on a <b>column header line</b>: three or more cells separated by a tab, two or more
 *       spaces or a comma without spaces, at least two thirds of them one word, and no digit or
 *       {@code @} on the line ({@code Dload Upload Total}, {@code Id,Name,Status});
 *   <li>a span across <b>two column gaps</b> (tab or two or more spaces) of an aligned table;
 *   <li>a span without a letter (but an ADDRESS: house numbers and postcodes);
 *   <li>the key of a header line: hyphenated before a {@code :} at a line start ({@code
 *       Content-Type:}), or any key after curl's {@code > }/{@code < } markers ({@code > Host:});
 *   <li>a one-word LOCATION or ORGANIZATION in lower case in a text that writes capitals ({@code
 *       reading}, {@code delta}, {@code central}: the phrase list matches place names in any case).
 * </ul>
 *
 * {@code -Dpii.code=false} turns it off (for comparisons).
 */
final class CodeContext {

  static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("pii.code", "true"));

  private static final Set<EntityType> NAME_TYPES = NameFinderDetector.TYPES;

  private CodeContext() {}

  /** Removes from {@code found} the name-type spans that lie on code or table structure. */
  static void filter(ScanText text, List<PiiSpan> found) {
    boolean any = false;
    for (PiiSpan s : found) {
      any |= NAME_TYPES.contains(s.type());
    }
    if (!any) {
      return;
    }
    String x = text.value;
    // ArrayList.removeIf tests every span before it removes any, so isCode sees them all
    found.removeIf(s -> NAME_TYPES.contains(s.type()) && isCode(x, s, found));
  }

  private static boolean isCode(String x, PiiSpan s, List<PiiSpan> found) {
    boolean letterOrDigit = false;
    int words = 0;
    List<String> seen = new java.util.ArrayList<>();
    boolean lower = true;
    int i = s.start();
    while (i < s.end()) {
      char c = x.charAt(i);
      if (!Character.isLetterOrDigit(c)) {
        i++;
        continue;
      }
      int j = i;
      while (j < x.length() && Character.isLetterOrDigit(x.charAt(j))) {
        j++;
      }
      letterOrDigit = true;
      words++;
      seen.add(x.substring(i, j).toLowerCase(java.util.Locale.ROOT));
      lower &= !hasLetter(x, i, j, true);
      if (codeToken(x, i, j) && !inPattern(i, found)) {
        return true;
      }
      i = j;
    }
    if (!letterOrDigit
        || (s.type() != EntityType.ADDRESS && !hasLetter(x, s.start(), s.end(), false))
        || columnGaps(x, s.start(), s.end()) >= 2
        || headerLine(x, s.start())
        || headerKey(x, s.start(), s.end())
        || repetitive(seen)) {
      return true;
    }
    return words == 1
        && lower
        && (s.type() == EntityType.LOCATION || s.type() == EntityType.ORGANIZATION)
        && hasLetter(x, 0, x.length(), true);
  }

  /**
   * Whether one word makes up half or more of 4+ words ({@code y y y y yes}: {@code yes | head}'s
   * lines, repeated log lines): no name of the labelled data repeats a word so (0 of 3 415), and
   * masking the run would hide the repetition from the quality filter.
   */
  static boolean repetitive(List<String> words) {
    if (words.size() < 4) {
      return false;
    }
    java.util.Map<String, Integer> counts = new java.util.HashMap<>();
    for (String w : words) {
      if (counts.merge(w, 1, Integer::sum) * 2 >= words.size()) {
        return true;
      }
    }
    return false;
  }

  /** Whether the word {@code x[a, b)} is an identifier or glued to code punctuation. */
  static boolean codeToken(String x, int a, int b) {
    if (camelCase(x, a, b)) {
      return true;
    }
    char p = at(x, a - 1);
    char q = at(x, b);
    return p == '_'
        || q == '_'
        || (b - a >= 2 && p == '.' && Character.isLetterOrDigit(at(x, a - 2)))
        || (b - a >= 2 && q == '.' && Character.isLetter(at(x, b + 1)))
        || (b - a >= 2 && (p == '/' || q == '/'))
        || (p == '\\' && Character.isLetterOrDigit(at(x, a - 2)))
        || (q == '\\' && Character.isLetterOrDigit(at(x, b + 1)))
        || (p == ':' && Character.isLetterOrDigit(at(x, a - 2)))
        || (q == ':' && Character.isLetterOrDigit(at(x, b + 1)))
        || "[]{}=<@$`".indexOf(p) >= 0
        || "[]{}=<>(;`".indexOf(q) >= 0;
  }

  /**
   * Camel case: lower-case start with a capital after 2+ lower-case letters ({@code placedAt}, not
   * {@code eBay}), two or more capitals after lower-case letters ({@code NullPointerException}), or
   * one after 3+ lower-case letters ({@code SessionManager}; not {@code McDonald}, {@code
   * MacArthur}).
   */
  static boolean camelCase(String x, int a, int b) {
    int humps = 0;
    int run = 0;
    int longest = 0;
    for (int i = a; i < b; i++) {
      char c = x.charAt(i);
      if (Character.isLowerCase(c)) {
        run++;
      } else {
        if (Character.isUpperCase(c) && run > 0) {
          humps++;
          longest = Math.max(longest, run);
          if (Character.isLowerCase(x.charAt(a)) && run >= 2) {
            return true;
          }
        }
        run = 0;
      }
    }
    return humps >= 2 || longest >= 3;
  }

  private static boolean inPattern(int offset, List<PiiSpan> found) {
    for (PiiSpan s : found) {
      if (!NAME_TYPES.contains(s.type()) && s.start() <= offset && offset < s.end()) {
        return true;
      }
    }
    return false;
  }

  /** Runs of a tab or 2+ spaces between non-space characters inside {@code x[a, b)}. */
  private static int columnGaps(String x, int a, int b) {
    int gaps = 0;
    int i = a;
    while (i < b) {
      int j = i;
      while (j < b && (x.charAt(j) == ' ' || x.charAt(j) == '\t')) {
        j++;
      }
      if (j > i && j < b && (j - i >= 2 || x.charAt(i) == '\t')) {
        gaps++;
      }
      i = Math.max(j, i + 1);
    }
    return gaps;
  }

  /** Whether the line around {@code offset} is a column header line (see the class comment). */
  static boolean headerLine(String x, int offset) {
    int a = x.lastIndexOf('\n', offset - 1) + 1;
    int b = x.indexOf('\n', offset);
    if (b < 0) {
      b = x.length();
    }
    int cells = 0;
    int oneWord = 0;
    int words = 0;
    boolean inWord = false;
    int i = a;
    while (i < b) {
      char c = x.charAt(i);
      if (Character.isDigit(c) || c == '@') {
        return false;
      }
      boolean cellEnd =
          i == b - 1
              || c == '\t'
              || (c == ' ' && at(x, i + 1) == ' ')
              || (c == ',' && at(x, i + 1) != ' ' && at(x, i - 1) != ' ');
      if (c == ' ' || c == '\t' || c == ',') {
        inWord = false;
      } else if (!inWord) {
        inWord = true;
        words++;
      }
      if (cellEnd && words > 0) {
        cells++;
        oneWord += words == 1 ? 1 : 0;
        words = 0;
      }
      i++;
    }
    return cells >= 3 && 3 * oneWord >= 2 * cells;
  }

  /**
   * Whether {@code x[a, b)} is the key of a header line: the first word(s) of a line, right before
   * a {@code :}, either hyphenated ({@code Content-Type:}) or after curl's {@code > }/{@code < }
   * protocol markers ({@code > Host:}).
   */
  static boolean headerKey(String x, int a, int b) {
    int lineStart = x.lastIndexOf('\n', a - 1) + 1;
    int k = b;
    while (k < x.length() && x.charAt(k) == ' ') {
      k++;
    }
    if (at(x, k) != ':') {
      return false;
    }
    boolean marker =
        (at(x, lineStart) == '>' || at(x, lineStart) == '<') && at(x, lineStart + 1) == ' ';
    for (int i = marker ? lineStart + 2 : lineStart; i < a; i++) {
      if (x.charAt(i) != ' ' && x.charAt(i) != '\t') {
        return false;
      }
    }
    return marker || x.substring(a, b).indexOf('-') > 0;
  }

  /** Whether {@code x[a, b)} has a letter; with {@code upper}, an upper-case one. */
  private static boolean hasLetter(String x, int a, int b, boolean upper) {
    for (int i = a; i < b; i++) {
      char c = x.charAt(i);
      if (upper ? Character.isUpperCase(c) : Character.isLetter(c)) {
        return true;
      }
    }
    return false;
  }

  private static char at(String x, int i) {
    return i >= 0 && i < x.length() ? x.charAt(i) : ' ';
  }
}
