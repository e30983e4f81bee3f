package dev.agentfactory.jobs.pii;

import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One structured detector: a pattern, an optional validator (a checksum, a range check) and context
 * words that raise the score when they appear shortly before the match.
 *
 * @param type what a match is
 * @param pattern what a candidate looks like; {@code group} of a match is the span
 * @param group the capturing group that is the span, 0 for the whole match
 * @param score the score of a validated match without context
 * @param contextScore the score of a match with one of {@code contextWords} before it
 * @param contextWords lower-case words looked for in the {@value #CONTEXT_WINDOW} characters before
 * @param validator decides on the matched text; candidates it rejects are dropped
 * @param precheck substrings of which the text (lower-cased if {@code precheckLower}) must contain
 *     one for the pattern to run at all; empty for no check
 * @param precheckLower whether {@code precheck} applies to the lower-cased text
 * @param needsDigit whether only texts with a digit can match
 */
record PatternRule(
    EntityType type,
    Pattern pattern,
    int group,
    double score,
    double contextScore,
    List<String> contextWords,
    Predicate<String> validator,
    List<String> precheck,
    boolean precheckLower,
    boolean needsDigit)
    implements Detector {

  static final int CONTEXT_WINDOW = 48;

  /** Scores below this are dropped: a context-dependent rule without its context. */
  static final double MIN_SCORE = 0.35;

  PatternRule {
    contextWords = List.copyOf(contextWords);
    precheck = List.copyOf(precheck);
  }

  static PatternRule of(EntityType type, String regex, double score) {
    return new PatternRule(
        type,
        Pattern.compile(regex),
        0,
        score,
        score,
        List.of(),
        s -> true,
        List.of(),
        false,
        false);
  }

  /** A rule that cannot match a text without digits, so it does not run on one. */
  static PatternRule numeric(EntityType type, String regex, double score) {
    return of(type, regex, score).requiringDigit();
  }

  PatternRule group(int g) {
    return new PatternRule(
        type,
        pattern,
        g,
        score,
        contextScore,
        contextWords,
        validator,
        precheck,
        precheckLower,
        needsDigit);
  }

  PatternRule validatedBy(Predicate<String> v) {
    return new PatternRule(
        type,
        pattern,
        group,
        score,
        contextScore,
        contextWords,
        v,
        precheck,
        precheckLower,
        needsDigit);
  }

  /**
   * Scores {@code withContext} when one of {@code words} occurs shortly before a match. A rule
   * whose plain score is below {@link #MIN_SCORE} runs only on texts containing one of the words.
   */
  PatternRule context(double withContext, String... words) {
    List<String> w = List.of(words);
    boolean contextOnly = score < MIN_SCORE;
    return new PatternRule(
        type,
        pattern,
        group,
        score,
        withContext,
        w,
        validator,
        contextOnly ? w : precheck,
        contextOnly || precheckLower,
        needsDigit);
  }

  /** Runs only on texts that contain one of {@code s}. */
  PatternRule onlyIfContains(String... s) {
    return new PatternRule(
        type,
        pattern,
        group,
        score,
        contextScore,
        contextWords,
        validator,
        List.of(s),
        false,
        needsDigit);
  }

  /** Runs only on texts whose lower-case form contains one of {@code s}. */
  PatternRule onlyIfContainsIgnoringCase(String... s) {
    return new PatternRule(
        type,
        pattern,
        group,
        score,
        contextScore,
        contextWords,
        validator,
        List.of(s),
        true,
        needsDigit);
  }

  /** Runs only on texts with a digit (for regexes that cannot match without one). */
  PatternRule requiringDigit() {
    return new PatternRule(
        type,
        pattern,
        group,
        score,
        contextScore,
        contextWords,
        validator,
        precheck,
        precheckLower,
        true);
  }

  @Override
  public void detect(ScanText scanText, List<PiiSpan> out) {
    if (needsDigit && !scanText.hasDigit) {
      return;
    }
    if (!precheck.isEmpty() && !containsAny(precheckLower ? scanText.lower() : scanText.value)) {
      return;
    }
    String text = scanText.value;
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      int start = m.start(group);
      int end = m.end(group);
      if (start < 0 || end <= start || !validator.test(text.substring(start, end))) {
        continue;
      }
      double s = contextWords.isEmpty() || !hasContext(text, start) ? score : contextScore;
      if (s >= MIN_SCORE) {
        out.add(new PiiSpan(type, start, end, s));
      }
    }
  }

  private boolean containsAny(String haystack) {
    for (String p : precheck) {
      if (haystack.contains(p)) {
        return true;
      }
    }
    return false;
  }

  private boolean hasContext(String text, int start) {
    String before =
        text.substring(Math.max(0, start - CONTEXT_WINDOW), start).toLowerCase(Locale.ROOT);
    for (String w : contextWords) {
      if (before.contains(w)) {
        return true;
      }
    }
    return false;
  }
}
