package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shipped scanner on the hand-written trace corpus ({@link TraceCorpus}): few false positives
 * on tool output and code, the personal data inside such text still found. The bounds are the
 * counts measured on 2026-11-27 with {@link CodeContext} (136 false positives, 121 of name types;
 * docs/pii.md, "Measured quality"), with a little room; without it the scanner finds 276 there (250
 * of name types).
 */
class TraceCorpusTest {

  private static final PiiScanner SCANNER = PiiScanner.create();

  /** What the pipeline reads tool outputs with. */
  private static final PiiScanner TOOL_OUTPUT = PiiScanner.create(PiiModel.TOOL_OUTPUT);

  private static List<PiiSpan> falsePositives(PiiScanner scanner) {
    List<PiiSpan> all = new ArrayList<>();
    for (TraceCorpus.Sample s : TraceCorpus.negatives()) {
      all.addAll(TraceCorpus.falsePositives(scanner, s));
    }
    return all;
  }

  private static long ofNameTypes(List<PiiSpan> spans) {
    return spans.stream().filter(s -> NameFinderDetector.TYPES.contains(s.type())).count();
  }

  /** Measured 56 and 41 (136 and 121 with the shipped model); the rest are patterns' spans. */
  @Test
  void theToolOutputModelTakesFarFewerWordsOfToolOutputForNamesAndMissesNoMorePeople() {
    List<PiiSpan> fp = falsePositives(TOOL_OUTPUT);
    assertThat(fp.size()).as("false-positive spans").isLessThanOrEqualTo(60);
    assertThat(ofNameTypes(fp)).as("false-positive spans of name types").isLessThanOrEqualTo(45);
    assertThat(TraceCorpus.missed(TOOL_OUTPUT)).containsExactly("log-line: PERSON=Olivia Brennan");
  }

  @Test
  void toolOutputAndCodeHaveFewFalsePositives() {
    List<PiiSpan> fp = falsePositives(SCANNER);
    assertThat(TraceCorpus.negatives()).hasSizeGreaterThan(150);
    assertThat(fp.size()).as("false-positive spans").isLessThanOrEqualTo(140);
    assertThat(ofNameTypes(fp)).as("false-positive spans of name types").isLessThanOrEqualTo(125);
  }

  @Test
  void curlsProgressHeaderAndAClassNameAreNoNames() {
    // the audit's case: the progress header was one ORGANIZATION
    String curl =
        "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
            + "                                 Dload  Upload   Total   Spent    Left  Speed\n"
            + "100  1256  100  1256    0     0   8943      0 --:--:-- --:--:-- --:--:--  8971";
    assertThat(SCANNER.scan(curl)).isEmpty();
    assertThat(SCANNER.scan("a1b2c3d Fix NullPointerException in SessionManager")).isEmpty();
  }

  @Test
  void personalDataInsideTraceTextIsStillFound() {
    assertThat(TraceCorpus.positives()).hasSizeGreaterThan(10);
    // the tagger misses a name in a log line's message, with or without CodeContext
    assertThat(TraceCorpus.missed(SCANNER)).containsExactly("log-line: PERSON=Olivia Brennan");
  }
}
