package dev.agentfactory.jobs.quality;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The per-text measurements behind the content rules. Pure functions over strings. */
final class TextChecks {

  private TextChecks() {}

  /** Character counts over a text, whitespace excluded. */
  record CharStats(int visible, int unprintable, int lettersOrDigits, int junk, int junkHits) {

    CharStats plus(CharStats o) {
      return new CharStats(
          visible + o.visible,
          unprintable + o.unprintable,
          lettersOrDigits + o.lettersOrDigits,
          junk + o.junk,
          junkHits + o.junkHits);
    }
  }

  static final CharStats NO_CHARS = new CharStats(0, 0, 0, 0, 0);

  /**
   * Counts visible (non-whitespace) code points, the unprintable ones among them (controls, U+FFFD,
   * unassigned, private use, lone surrogates), letters and digits, and encoding junk: U+FFFD and
   * mojibake pairs, i.e. a UTF-8 lead byte read as Latin-1/Windows-1252 ({@code Ã}, {@code Â},
   * {@code â}, …) followed by a continuation byte read the same way ({@code ©}, {@code €}, …).
   */
  static CharStats charStats(String text) {
    int visible = 0;
    int unprintable = 0;
    int lettersOrDigits = 0;
    int junk = 0;
    int junkHits = 0;
    int previous = -1;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (Character.isWhitespace(cp)) {
        previous = cp;
        continue;
      }
      visible++;
      if (cp == 0xFFFD) {
        junk++;
        junkHits++;
      } else if (isMojibakeLead(previous) && isMojibakeContinuation(cp)) {
        junk += 2;
        junkHits++;
      }
      if (isUnprintable(cp)) {
        unprintable++;
      } else if (Character.isLetterOrDigit(cp)) {
        lettersOrDigits++;
      }
      previous = cp;
    }
    return new CharStats(visible, unprintable, lettersOrDigits, junk, junkHits);
  }

  private static boolean isUnprintable(int cp) {
    if (cp == 0xFFFD) {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.CONTROL
        || type == Character.UNASSIGNED
        || type == Character.PRIVATE_USE
        || type == Character.SURROGATE;
  }

  /** U+00C2..U+00F4: the lead bytes of 2- to 4-byte UTF-8 sequences, decoded as Latin-1. */
  private static boolean isMojibakeLead(int cp) {
    return cp >= 0xC2 && cp <= 0xF4;
  }

  /** U+0080..U+00BF, or what Windows-1252 makes of 0x80..0x9F ({@code €}, {@code ™}, …). */
  private static boolean isMojibakeContinuation(int cp) {
    if (cp >= 0x80 && cp <= 0xBF) {
      return true;
    }
    return switch (cp) {
      case 0x20AC,
          0x201A,
          0x0192,
          0x201E,
          0x2026,
          0x2020,
          0x2021,
          0x02C6,
          0x2030,
          0x0160,
          0x2039,
          0x0152,
          0x017D,
          0x2018,
          0x2019,
          0x201C,
          0x201D,
          0x2022,
          0x2013,
          0x2014,
          0x02DC,
          0x2122,
          0x0161,
          0x203A,
          0x0153,
          0x017E,
          0x0178 ->
          true;
      default -> false;
    };
  }

  /**
   * The share of the most frequent non-blank line among the non-blank lines, or 0 if there are
   * fewer than {@code minLines}.
   */
  static double topLineShare(String text, int minLines) {
    Map<String, Integer> counts = new HashMap<>();
    int lines = 0;
    int top = 0;
    for (String line : text.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty()) {
        continue;
      }
      lines++;
      top = Math.max(top, counts.merge(trimmed, 1, Integer::sum));
    }
    return lines < minLines ? 0 : (double) top / lines;
  }

  /**
   * The share of the most frequent word n-gram among all n-grams, or 0 if the text has fewer than
   * {@code minWords} words.
   */
  static double topNgramShare(List<String> words, int n, int minWords) {
    if (words.size() < minWords || words.size() < n) {
      return 0;
    }
    Map<String, Integer> counts = new HashMap<>();
    int top = 0;
    int total = words.size() - n + 1;
    for (int i = 0; i < total; i++) {
      String gram = String.join(" ", words.subList(i, i + n));
      top = Math.max(top, counts.merge(gram, 1, Integer::sum));
    }
    return (double) top / total;
  }
}
