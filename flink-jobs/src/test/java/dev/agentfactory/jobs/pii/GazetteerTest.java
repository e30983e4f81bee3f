package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class GazetteerTest {

  private static final int FIRST = 1 << Gazetteer.LIST_NAMES.indexOf("first");
  private static final int LAST = 1 << Gazetteer.LIST_NAMES.indexOf("last");
  private static final int CITY = 1 << Gazetteer.LIST_NAMES.indexOf("city");

  @Test
  void wordListsAreBitMasksPerWord() throws Exception {
    Gazetteer g =
        Gazetteer.EMPTY.withLists(
            Map.of(
                "first",
                Set.of("jordan", "ann"),
                "last",
                Set.of("jordan"),
                "city",
                Set.of("lima")));
    assertThat(g.lists("jordan")).isEqualTo(FIRST | LAST);
    assertThat(g.lists("lima")).isEqualTo(CITY);
    assertThat(g.lists("table")).isZero();
    StringWriter out = new StringWriter();
    g.writeLists(out);
    assertThat(out.toString()).contains("first\tjordan\n", "last\tjordan\n", "city\tlima\n");
    assertThatThrownBy(() -> Gazetteer.EMPTY.withLists(Map.of("planet", Set.of("mars"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("planet");
  }

  @Test
  void droppingHidesAboutTheGivenShareOfListedWords() {
    Set<String> words = Set.copyOf(IntStream.range(0, 2000).mapToObj(i -> "name" + i).toList());
    Gazetteer g = Gazetteer.EMPTY.withLists(Map.of("first", words));
    Gazetteer half = g.dropping(2, 17);
    long kept = words.stream().filter(w -> half.lists(w) != 0).count();
    assertThat(kept).isBetween(800L, 1200L);
    Gazetteer other = g.dropping(2, 18);
    assertThat(words.stream().filter(w -> half.lists(w) != other.lists(w)).count())
        .isGreaterThan(400L);
    assertThat(words).allSatisfy(w -> assertThat(g.lists(w)).isEqualTo(FIRST));
  }

  @Test
  void theNameFinderRunsOnlyOnTextsWithACandidateToken() {
    Gazetteer g = Gazetteer.EMPTY.withLists(Map.of("first", Set.of("joshua")));
    assertThat(NameFinderDetector.hasCandidate(Tokens.of("she named him joshua"), g)).isTrue();
    assertThat(NameFinderDetector.hasCandidate(Tokens.of("meet Ann"), g)).isTrue();
    assertThat(NameFinderDetector.hasCandidate(Tokens.of("at 12 main st"), g)).isTrue();
    assertThat(NameFinderDetector.hasCandidate(Tokens.of("ok, see you\nlater"), g)).isFalse();
    Gazetteer common =
        Gazetteer.EMPTY.withLists(Map.of("common", Set.of("cat"), "first", Set.of("joshua")));
    assertThat(NameFinderDetector.hasCandidate(Tokens.of("cat x"), common)).isFalse();
    assertThat(NameFinderDetector.hasCandidate(Tokens.of("cat joshua"), common)).isTrue();
  }

  @Test
  void validationTemplatesAreTrainingTemplates() {
    int validation = 0;
    for (int t = 0; t < 1000; t++) {
      if (PiiDataset.isValidation(t)) {
        validation++;
        assertThat(PiiDataset.isHeldOut(t)).isFalse();
      }
    }
    assertThat(validation).isBetween(120, 200);
  }
}
