package dev.agentfactory.jobs.pii;

import static dev.agentfactory.jobs.pii.FeatureWords.COUNTRY_WORDS;
import static dev.agentfactory.jobs.pii.FeatureWords.LOCATION_CUE;
import static dev.agentfactory.jobs.pii.FeatureWords.ORG;
import static dev.agentfactory.jobs.pii.FeatureWords.ORG_CUE;
import static dev.agentfactory.jobs.pii.FeatureWords.PERSON_CUE;
import static dev.agentfactory.jobs.pii.FeatureWords.PREFIX;
import static dev.agentfactory.jobs.pii.FeatureWords.STREET;
import static dev.agentfactory.jobs.pii.FeatureWords.TITLE_HEAD;
import static dev.agentfactory.jobs.pii.FeatureWords.UNIT;
import static dev.agentfactory.jobs.pii.FeatureWords.classId;
import static dev.agentfactory.jobs.pii.FeatureWords.wordClass;
import static dev.agentfactory.jobs.pii.NameFeatures.F_ALLCAPS;
import static dev.agentfactory.jobs.pii.NameFeatures.F_CAP;
import static dev.agentfactory.jobs.pii.NameFeatures.F_DIGIT;
import static dev.agentfactory.jobs.pii.NameFeatures.F_LOC_CUE;
import static dev.agentfactory.jobs.pii.NameFeatures.F_ORG_CUE;
import static dev.agentfactory.jobs.pii.NameFeatures.F_PERSON_CUE;
import static dev.agentfactory.jobs.pii.NameFeatures.WORDNET;
import static dev.agentfactory.jobs.pii.NameFeatures.shape;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What {@link NameFeatures#of} derives from a token's text alone, for the tokens seen last: a
 * direct-mapped table of {@code 2^k} slots by the text's hash, so a text seen before costs one hash
 * and one string comparison instead of a lower-casing and five dictionary look-ups. Bounded (a slot
 * holds the last text that hashed to it, and texts longer than {@link #MAX_KEPT} characters are
 * worked out in a spare slot that is never reused, so base64 blobs or minified lines are not held),
 * bound to one gazetteer, and not thread-safe: a detector keeps one per thread.
 */
final class TokenCache {

  /** The longest token text kept; longer ones (rare, seldom repeated) are never reused. */
  static final int MAX_KEPT = 32;

  /**
   * Per listed word, its class id (low 4 bits, as {@link FeatureWords#wordClass}) and cue flags
   * (shifted left by 4): one hash look-up per token instead of one per set.
   */
  private static final java.util.Map<String, Integer> WORD_BITS = wordBits();

  private static java.util.Map<String, Integer> wordBits() {
    java.util.Map<String, Integer> m = new java.util.HashMap<>();
    List<Set<String>> classSets = List.of(STREET, UNIT, PREFIX, ORG, TITLE_HEAD, COUNTRY_WORDS);
    for (Set<String> set : classSets) {
      for (String w : set) {
        m.putIfAbsent(w, classId(wordClass(w)));
      }
    }
    for (String w : LOCATION_CUE) {
      m.merge(w, F_LOC_CUE << 4, (a, b) -> a | b);
    }
    for (String w : PERSON_CUE) {
      m.merge(w, F_PERSON_CUE << 4, (a, b) -> a | b);
    }
    for (String w : ORG_CUE) {
      m.merge(w, F_ORG_CUE << 4, (a, b) -> a | b);
    }
    return java.util.Map.copyOf(m);
  }

  final Gazetteer gazetteer;
  private final String[] text;
  final String[] lower;
  final int[] lowerHash;
  final int[] shape;
  final int[] cls;
  final int[] flags; // cue words and case: the flags a token's text decides
  final int[] lists; // the gazetteer's list mask of the lower-case word
  final int[] gz;
  final int[] wn;
  private final int mask;

  TokenCache(Gazetteer gazetteer, int slots) {
    if (Integer.bitCount(slots) != 1) {
      throw new IllegalArgumentException("slots must be a power of two: " + slots);
    }
    this.gazetteer = gazetteer;
    int n = slots + 1; // the last is the spare one for long texts
    text = new String[n];
    lower = new String[n];
    lowerHash = new int[n];
    shape = new int[n];
    cls = new int[n];
    flags = new int[n];
    lists = new int[n];
    gz = new int[n];
    wn = new int[n];
    mask = slots - 1;
  }

  /**
   * The slot holding {@code t}'s values, filled now if it held another text; valid until the next
   * call.
   */
  int slot(String t) {
    if (t.length() > MAX_KEPT) {
      int spare = mask + 1;
      fill(spare, t);
      text[spare] = null; // never matched; its lower case stays until the next long text
      return spare;
    }
    int i = t.hashCode() & mask;
    if (!t.equals(text[i])) {
      fill(i, t);
    }
    return i;
  }

  /** Characters of token text this cache holds on to (its kept texts and their lower case). */
  long heldChars() {
    long sum = 0;
    for (int i = 0; i < text.length; i++) {
      if (text[i] != null) {
        sum += text[i].length();
      }
      if (lower[i] != null && lower[i] != text[i]) {
        sum += lower[i].length();
      }
    }
    return sum;
  }

  private void fill(int i, String t) {
    String w = t.toLowerCase(Locale.ROOT);
    lower[i] = w;
    lowerHash[i] = w.hashCode();
    shape[i] = shape(t);
    int bits = WORD_BITS.getOrDefault(w, 0);
    cls[i] = (bits & 15) != 0 ? bits & 15 : classId(wordClass(w));
    int f = bits >> 4;
    char c0 = t.charAt(0);
    if (Character.isUpperCase(c0)) {
      f |= F_CAP;
      if (t.length() > 1 && allUpper(t)) {
        f |= F_ALLCAPS;
      }
    }
    if (Character.isDigit(c0)) {
      f |= F_DIGIT;
    }
    flags[i] = f;
    lists[i] = gazetteer.lists(w);
    int g = 0;
    for (EntityType type : gazetteer.lookup(w)) {
      g |= 1 << type.ordinal();
    }
    gz[i] = g;
    wn[i] = WORDNET != null && Character.isLetter(c0) ? WORDNET.code(w) + 1 : 0;
    text[i] = t;
  }

  private static boolean allUpper(String t) {
    for (int i = 0; i < t.length(); i++) {
      if (Character.isLowerCase(t.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
