package dev.agentfactory.jobs.pii;

import java.util.Arrays;

/**
 * Text cut into tokens with their character offsets, the unit the name finder labels. A token is a
 * run of letters, marks and digits (joined across an inner apostrophe or hyphen: {@code O'Brien},
 * {@code Jean-Luc}), a line break (as {@value #NEWLINE}, so that a model sees the line structure of
 * addresses and signatures) or any other single non-space character.
 */
final class Tokens {

  /** The token text that stands for a line break. */
  static final String NEWLINE = "<NL>";

  final String[] text;
  final int[] start;
  final int[] end;
  final int size;

  private Tokens(String[] text, int[] start, int[] end, int size) {
    this.text = text;
    this.start = start;
    this.end = end;
    this.size = size;
  }

  static Tokens of(String s) {
    int cap = Math.max(8, s.length() / 4);
    String[] text = new String[cap];
    int[] start = new int[cap];
    int[] end = new int[cap];
    int n = 0;
    int i = 0;
    int len = s.length();
    while (i < len) {
      char c = s.charAt(i);
      int j;
      if (c == '\n') {
        j = i + 1;
      } else if (Character.isWhitespace(c)) {
        i++;
        continue;
      } else if (isWordChar(c)) {
        j = i + 1;
        while (j < len) {
          char d = s.charAt(j);
          if (isWordChar(d)) {
            j++;
          } else if ((d == '\'' || d == '’' || d == '-')
              && j + 1 < len
              && Character.isLetter(s.charAt(j + 1))) {
            j += 2;
          } else {
            break;
          }
        }
      } else {
        j = i + 1;
        if (Character.isHighSurrogate(c) && j < len) {
          j++;
        }
      }
      if (n == text.length) {
        int grown = n * 2;
        text = Arrays.copyOf(text, grown);
        start = Arrays.copyOf(start, grown);
        end = Arrays.copyOf(end, grown);
      }
      text[n] = c == '\n' ? NEWLINE : s.substring(i, j);
      start[n] = i;
      end[n] = j;
      n++;
      i = j;
    }
    return new Tokens(text, start, end, n);
  }

  private static boolean isWordChar(char c) {
    return Character.isLetterOrDigit(c) || Character.getType(c) == Character.NON_SPACING_MARK;
  }

  String[] words() {
    return size == text.length ? text : Arrays.copyOf(text, size);
  }

  /** The index of the first token that ends after {@code offset}, or {@link #size}. */
  int firstEndingAfter(int offset) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (end[mid] <= offset) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
