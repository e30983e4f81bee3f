package dev.agentfactory.jobs.pii;

import java.util.Arrays;

/**
 * The features of the PII tagger ({@link SequenceTagger}), as int keys per token ({@link #of}): the
 * token and its neighbours' words, shapes and affixes, plus word classes that make a neighbourhood
 * look like an address, a job title, an organisation or a person ({@code Apt.}, {@code Street},
 * {@code Inc}, {@code Mrs.}, {@code manager}), country names (from the JDK's locale data, so no
 * list to maintain) and the position of a token in its line. These generalise to names and values
 * never seen in training, which is the point: the evaluation data uses other names and places than
 * the training data. The word classes and cue words are in {@link FeatureWords}, what a token's
 * text alone decides is worked out once per text in a {@link TokenCache}.
 */
final class NameFeatures {

  private NameFeatures() {}

  // token flags (bits of flags[i])
  static final int F_CAP = 1;
  static final int F_ALLCAPS = 2;
  static final int F_BOL = 4;
  static final int F_EOL = 8;
  static final int F_SENT = 16;
  static final int F_LOC_CUE = 32;
  static final int F_PERSON_CUE = 64;
  static final int F_ORG_CUE = 128;
  static final int F_NEWLINE = 256;
  static final int F_DIGIT = 512;

  // feature slots: a feature key is mix(slot, value); context slots add the offset
  private static final int S_BIAS = 1;
  private static final int S_WORD = 2;
  private static final int S_PRE = 3; // 3..6
  private static final int S_SUF = 7; // 7..10
  private static final int S_SHAPE = 11;
  private static final int S_SHAPE_LEN = 12;
  private static final int S_CLASS = 13;
  private static final int S_LISTS = 14;
  private static final int S_LIST_BIT = 15;
  private static final int S_GZ = 16;
  private static final int S_FLAG = 17;
  private static final int S_LINE_POS = 18;
  private static final int S_WORD_CASE = 19;
  private static final int S_WN_LEX = 20;
  private static final int S_WN_POS = 21;
  private static final int S_C_WORD = 100; // +offset, offsets -3..3
  private static final int S_C_SHAPE = 110;
  private static final int S_C_CLASS = 120;
  private static final int S_C_LISTS = 130;
  private static final int S_C_GZ = 140;
  private static final int S_C_FLAGS = 150;
  private static final int S_BI_PREV = 200;
  private static final int S_BI_NEXT = 201;
  private static final int S_BI_PREV2 = 202;
  private static final int S_BI_NEXT2 = 203;
  private static final int S_SHAPE3 = 204;
  private static final int S_PREV_SHAPE = 205;
  private static final int S_SHAPE_NEXT = 206;
  private static final int S_LISTS_PREV = 207;
  private static final int S_LISTS_NEXT = 208;

  /** WordNet word classes ({@link WordNetClasses}); {@code -Dpii.wordnet=false} leaves them out. */
  static final WordNetClasses WORDNET =
      Boolean.parseBoolean(System.getProperty("pii.wordnet", "true"))
          ? WordNetClasses.bundled()
          : null;

  private static final int BEFORE = 0x5EED0001;

  private static final int AFTER = 0x5EED0002;

  private static final int NEWLINE_HASH = Tokens.NEWLINE.hashCode();

  /**
   * Feature keys per token, aligned with {@code tokens}: 32-bit hashes of (slot, value), computed
   * once per token and combined with the neighbours' values by index, with no strings per feature.
   * A token's own features: lower-case word, 1–4-character prefixes and suffixes, shape ({@code
   * Xx}, {@code X.}, {@code d-d}) with its length, word class (street, unit, prefix, organisation,
   * job title, country, number), word-list and gazetteer memberships (with capitalisation), cue
   * words, line and sentence position; of the tokens up to 3 before and after: word, shape, class,
   * lists, gazetteer, flags; and word bigrams and shape trigrams around it.
   */
  static int[][] of(Tokens tokens, Gazetteer gazetteer) {
    return of(tokens, gazetteer, null);
  }

  /**
   * As {@link #of(Tokens, Gazetteer)}; if {@code own} is given, {@code own[i]} is set to the number
   * of leading keys of token {@code i} that describe the token itself (the rest describe its
   * neighbours: training drops those at random, {@link PerceptronTrainer}).
   */
  static int[][] of(Tokens tokens, Gazetteer gazetteer, int[] own) {
    return of(tokens, gazetteer, own, new TokenCache(gazetteer, 1));
  }

  /**
   * As {@link #of(Tokens, Gazetteer, int[])}, reading what a token's text alone decides (its lower
   * case, shape, class, cue words, list and gazetteer memberships, WordNet class) from {@code
   * cache}, which must be for the same {@code gazetteer}. The keys are the same with any cache.
   */
  static int[][] of(Tokens tokens, Gazetteer gazetteer, int[] own, TokenCache cache) {
    if (cache.gazetteer != gazetteer) {
      throw new IllegalArgumentException("the token cache is for another gazetteer");
    }
    int n = tokens.size;
    int[] lw = new int[n];
    int[] shape = new int[n];
    int[] cls = new int[n];
    int[] lists = new int[n];
    int[] gz = new int[n];
    int[] flags = new int[n];
    int[] linePos = new int[n];
    String[] lower = new String[n];
    int[] wn = new int[n]; // WordNet code + 1 of a word, 0 for other tokens
    boolean sentenceStart = true;
    int pos = 0;
    for (int i = 0; i < n; i++) {
      String t = tokens.text[i];
      if (t == Tokens.NEWLINE || Tokens.NEWLINE.equals(t)) {
        lw[i] = NEWLINE_HASH;
        shape[i] = NEWLINE_HASH;
        flags[i] = F_NEWLINE;
        lower[i] = Tokens.NEWLINE;
        pos = 0;
        sentenceStart = true;
        continue;
      }
      linePos[i] = pos++;
      int slot = cache.slot(t);
      lower[i] = cache.lower[slot];
      lw[i] = cache.lowerHash[slot];
      shape[i] = cache.shape[slot];
      cls[i] = cache.cls[slot];
      int f = cache.flags[slot];
      if (sentenceStart) {
        f |= F_SENT;
      }
      if (i == 0 || flags[i - 1] == F_NEWLINE) {
        f |= F_BOL;
      }
      if (i + 1 == n || Tokens.NEWLINE.equals(tokens.text[i + 1])) {
        f |= F_EOL;
      }
      flags[i] = f;
      int m = cache.lists[slot];
      lists[i] = m == 0 ? 0 : (m << 1) | ((f & F_CAP) != 0 ? 1 : 0);
      gz[i] = cache.gz[slot];
      wn[i] = cache.wn[slot];
      sentenceStart = t.equals(".") || t.equals("!") || t.equals("?") || t.equals(":");
    }
    int[][] keys = new int[n][];
    int[] k = new int[128];
    for (int i = 0; i < n; i++) {
      int size = 0;
      k[size++] = mix(S_BIAS, 0);
      k[size++] = mix(S_WORD, lw[i]);
      k[size++] = mix(S_SHAPE, shape[i]);
      if ((flags[i] & F_NEWLINE) == 0) {
        String w = lower[i];
        int len = w.length();
        k[size++] = mix(S_SHAPE_LEN, mix(shape[i], Math.min(len, 12)));
        k[size++] = mix(S_WORD_CASE, mix(lw[i], flags[i] & (F_CAP | F_ALLCAPS | F_SENT)));
        int h = 0;
        for (int j = 0; j < Math.min(4, len - 1); j++) {
          h = 31 * h + w.charAt(j);
          k[size++] = mix(S_PRE + j, h);
        }
        h = 0;
        for (int j = 0; j < Math.min(4, len - 1); j++) {
          h = 31 * h + w.charAt(len - 1 - j);
          k[size++] = mix(S_SUF + j, h);
        }
        k[size++] = mix(S_LINE_POS, mix(Math.min(linePos[i], 3), shape[i]));
      }
      if (cls[i] != 0) {
        k[size++] = mix(S_CLASS, cls[i]);
      }
      if (lists[i] != 0) {
        k[size++] = mix(S_LISTS, lists[i]);
        int cap = lists[i] & 1;
        for (int b = 1; b < 8; b++) {
          if ((lists[i] & (1 << b)) != 0) {
            k[size++] = mix(S_LIST_BIT, b * 2 + cap);
          }
        }
      }
      if (gz[i] != 0) {
        k[size++] = mix(S_GZ, gz[i]);
      }
      if (wn[i] != 0) {
        int code = wn[i] - 1;
        int caps = flags[i] & (F_CAP | F_ALLCAPS | F_SENT);
        k[size++] = mix(S_WN_LEX, mix(code >>> WordNetClasses.LEX_SHIFT, caps));
        k[size++] = mix(S_WN_POS, mix(code & WordNetClasses.POS_FREQ, caps));
      }
      for (int b = 0; b < 10; b++) {
        if ((flags[i] & (1 << b)) != 0) {
          k[size++] = mix(S_FLAG, b);
        }
      }
      if (own != null) {
        own[i] = size;
      }
      for (int d = -3; d <= 3; d++) {
        if (d == 0) {
          continue;
        }
        int j = i + d;
        int ad = Math.abs(d);
        if (j < 0 || j >= n) {
          int edge = j < 0 ? BEFORE : AFTER;
          k[size++] = mix(S_C_WORD + d, edge);
          if (ad <= 2) {
            k[size++] = mix(S_C_SHAPE + d, edge);
          }
          continue;
        }
        k[size++] = mix(S_C_WORD + d, lw[j]);
        if (ad <= 2) {
          k[size++] = mix(S_C_SHAPE + d, shape[j]);
          if (lists[j] != 0) {
            k[size++] = mix(S_C_LISTS + d, lists[j]);
          }
          if (gz[j] != 0) {
            k[size++] = mix(S_C_GZ + d, gz[j]);
          }
        }
        if (cls[j] != 0) {
          k[size++] = mix(S_C_CLASS + d, cls[j]);
        }
        if (ad <= 1) {
          k[size++] = mix(S_C_FLAGS + d, flags[j]);
        }
      }
      int prev = i > 0 ? lw[i - 1] : BEFORE;
      int prev2 = i > 1 ? lw[i - 2] : BEFORE;
      int next = i + 1 < n ? lw[i + 1] : AFTER;
      int next2 = i + 2 < n ? lw[i + 2] : AFTER;
      int prevShape = i > 0 ? shape[i - 1] : BEFORE;
      int nextShape = i + 1 < n ? shape[i + 1] : AFTER;
      k[size++] = mix(S_BI_PREV, mix(prev, lw[i]));
      k[size++] = mix(S_BI_NEXT, mix(lw[i], next));
      k[size++] = mix(S_BI_PREV2, mix(prev2, prev));
      k[size++] = mix(S_BI_NEXT2, mix(next, next2));
      k[size++] = mix(S_SHAPE3, mix(mix(prevShape, shape[i]), nextShape));
      k[size++] = mix(S_PREV_SHAPE, mix(prev, shape[i]));
      k[size++] = mix(S_SHAPE_NEXT, mix(shape[i], next));
      if (lists[i] != 0 || gz[i] != 0) {
        k[size++] = mix(S_LISTS_PREV, mix(lists[i] * 131 + gz[i], prev));
        k[size++] = mix(S_LISTS_NEXT, mix(lists[i] * 131 + gz[i], next));
      }
      keys[i] = Arrays.copyOf(k, size);
    }
    return keys;
  }

  /** A 32-bit mix of two ints (murmur3's finaliser over a multiply-add). */
  static int mix(int a, int b) {
    int h = a * 0x9E3779B1 + b;
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    h *= 0xC2B2AE35;
    h ^= h >>> 16;
    return h;
  }

  /**
   * The word's shape with runs collapsed: upper-case letters {@code X}, lower-case {@code x},
   * digits {@code d}, other characters as they are ({@code Jean-Luc} is {@code Xx-Xx}, {@code 12-B}
   * is {@code d-X}), as a hash.
   */
  static int shape(String t) {
    int h = 17;
    char last = 0;
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      char s;
      if (Character.isUpperCase(c)) {
        s = 'X';
      } else if (Character.isLetter(c)) {
        s = 'x';
      } else if (Character.isDigit(c)) {
        s = 'd';
      } else {
        s = c;
      }
      if (s != last) {
        h = 31 * h + s;
        last = s;
      }
    }
    return h;
  }
}
