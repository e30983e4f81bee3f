package dev.agentfactory.jobs.pii;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The overall ("PII") score as presidio-research's {@code SpanEvaluator} computes it, where the
 * entity type does not count: for a scrubber, masking {@code Peter Pham} as an organisation still
 * protects him. Re-implemented from its description, not copied:
 *
 * <ol>
 *   <li>The text is cut into tokens ({@link Tokens}); a token is PII in the gold (or predicted)
 *       labelling when it overlaps any gold (predicted) span, whatever the type.
 *   <li>Runs of PII tokens are spans. Two spans are merged when only <em>skip words</em> lie
 *       between them: punctuation, line breaks, English function words, and the words
 *       presidio-research adds for addresses and titles ({@code street}, {@code suite}, {@code
 *       apt}, {@code mrs.}, …). A span of skip words only is dropped.
 *   <li>A span's extent for the overlap is from its first to its last token that is not a skip word
 *       (so {@code the corner of …} and a trailing {@code street} do not count).
 *   <li>For each gold span, the predicted spans overlapping it are taken together: one true
 *       positive (and one prediction) if their combined character IoU reaches the threshold, else
 *       one false negative and one false positive. Predicted spans overlapping no gold span are
 *       false positives.
 * </ol>
 *
 * The skip-word list is ours (function words written out here, plus presidio-research's address and
 * title words), so figures can differ slightly from presidio-research's, whose list is spaCy's.
 */
final class AnyTypeMatch {

  /** English function words and presidio-research's extra skip words, lower case. */
  static final Set<String> SKIP =
      Set.copyOf(
          List.of(
              ("a an the and or nor but if then else so as of at by for from in into onto on off out"
                      + " over under up down to toward towards with within without via per upon about"
                      + " above below across after afterwards before behind beside besides between"
                      + " beyond through throughout thru during until unless since while among amongst"
                      + " around along against again also already always never ever even still yet"
                      + " very too quite rather really just only not no none nobody nothing n't"
                      + " i me my mine myself we us our ours ourselves you your yours yourself"
                      + " yourselves he him his himself she her hers herself it its itself they them"
                      + " their theirs themselves this that these those who whom whose which what"
                      + " whatever whoever when whenever where wherever why how however whether"
                      + " am is are was were be been being have has had having do does did doing done"
                      + " can could may might must shall should will would ca 's 'd 'll 'm 're 've"
                      + " all any anyone anything anywhere anyhow anyway each every everyone"
                      + " everything everywhere few many more most much several some someone"
                      + " something somewhere sometime sometimes both either neither other others"
                      + " another same such own than there here hence thus therefore there's"
                      + " one two three four five six seven eight nine ten eleven twelve fifteen"
                      + " twenty forty fifty sixty hundred first last third former latter next"
                      + " please say see show get give go keep take put make made call name part"
                      + " back front top bottom side full empty whole well less least"
                      + " street st st. de rue via apt unit corner p.o. po box suite zip address"
                      + " country state city mr. mrs. miss inc inc. ltd day days week weeks weekend"
                      + " month months year years y/o old age ago morning noon afternoon evening night")
                  .split(" ")));

  private AnyTypeMatch() {}

  /** Adds one sample's any-type counts to {@code counts}. */
  static void add(
      String text,
      List<PiiSpan> gold,
      List<PiiSpan> predicted,
      double iouThreshold,
      SpanEvaluation.Counts counts) {
    Tokens tokens = Tokens.of(text);
    List<int[]> g = spans(tokens, gold);
    List<int[]> p = spans(tokens, predicted);
    boolean[] touched = new boolean[p.size()];
    for (int[] a : g) {
      boolean any = false;
      for (int k = 0; k < p.size(); k++) {
        int[] b = p.get(k);
        if (b[0] < a[1] && a[0] < b[1]) {
          touched[k] = true;
          any = true;
        }
      }
      if (!any) {
        counts.fn++;
        continue;
      }
      // the predicted spans are disjoint, so their union is the sum of their lengths
      int inter = overlap(a, p);
      int union = (a[1] - a[0]) + unionLength(a, p) - inter;
      if ((double) inter / union >= iouThreshold) {
        counts.tp++;
      } else {
        counts.fn++;
        counts.fp++;
      }
    }
    for (boolean t : touched) {
      if (!t) {
        counts.fp++;
      }
    }
  }

  private static int overlap(int[] a, List<int[]> p) {
    int sum = 0;
    for (int[] b : p) {
      sum += Math.max(0, Math.min(a[1], b[1]) - Math.max(a[0], b[0]));
    }
    return sum;
  }

  /** Total length of the predicted spans that overlap {@code a}. */
  private static int unionLength(int[] a, List<int[]> p) {
    int sum = 0;
    for (int[] b : p) {
      if (b[0] < a[1] && a[0] < b[1]) {
        sum += b[1] - b[0];
      }
    }
    return sum;
  }

  /**
   * The any-type spans of a labelling, as {@code [normalisedStart, normalisedEnd]} character
   * offsets, sorted and disjoint.
   */
  static List<int[]> spans(Tokens tokens, List<PiiSpan> labels) {
    boolean[] pii = new boolean[tokens.size];
    for (PiiSpan s : labels) {
      for (int i = 0; i < tokens.size; i++) {
        if (tokens.start[i] < s.end() && s.start() < tokens.end[i]) {
          pii[i] = true;
        }
      }
    }
    List<int[]> out = new ArrayList<>();
    int[] open = null; // [start, end] of non-skip tokens of the current (merged) span
    boolean onlySkipSince = true; // only skip tokens since the current span's last PII token
    for (int i = 0; i < tokens.size; i++) {
      boolean skip = isSkip(tokens.text[i]);
      if (pii[i]) {
        if (open != null && !onlySkipSince) {
          out.add(open);
          open = null;
        }
        if (!skip) {
          if (open == null) {
            open = new int[] {tokens.start[i], tokens.end[i]};
          } else {
            open[1] = tokens.end[i];
          }
        }
        onlySkipSince = true;
      } else if (!skip) {
        onlySkipSince = false;
      }
    }
    if (open != null) {
      out.add(open);
    }
    return out;
  }

  static boolean isSkip(String token) {
    if (token.equals(Tokens.NEWLINE)) {
      return true;
    }
    boolean letterOrDigit = false;
    for (int i = 0; i < token.length(); i++) {
      if (Character.isLetterOrDigit(token.charAt(i))) {
        letterOrDigit = true;
        break;
      }
    }
    return !letterOrDigit || SKIP.contains(token.toLowerCase(Locale.ROOT));
  }
}
