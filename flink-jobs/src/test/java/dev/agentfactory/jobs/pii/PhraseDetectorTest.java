package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PhraseDetectorTest {

  private static List<PiiSpan> detect(PhraseDetector d, String text) {
    List<PiiSpan> out = new ArrayList<>();
    d.detect(new ScanText(text), out);
    return out;
  }

  @Test
  void countryNamesMatchInAnyCaseAndTakeTheLongestPhrase() {
    PhraseDetector d = new PhraseDetector(PhraseDetector.Countries.PHRASES);
    assertThat(detect(d, "she moved to burkina faso last year"))
        .containsExactly(new PiiSpan(EntityType.LOCATION, 13, 25, PhraseDetector.SCORE));
    assertThat(detect(d, "Born in FRANCE."))
        .containsExactly(new PiiSpan(EntityType.LOCATION, 8, 14, PhraseDetector.SINGLE_SCORE));
    assertThat(detect(d, "nothing to see here")).isEmpty();
  }

  @Test
  void learnsWholeValuesButNotWordsThatAreMostlyOutsideSpans() {
    String a = "I work at Lending Club now";
    String b = "the group met at Garmin";
    String c = "Group therapy with Group and group";
    List<LabelledSample> samples =
        List.of(
            new LabelledSample(a, List.of(new PiiSpan(EntityType.ORGANIZATION, 10, 22, 1.0)), 1),
            new LabelledSample(b, List.of(new PiiSpan(EntityType.ORGANIZATION, 17, 23, 1.0)), 2),
            new LabelledSample(c, List.of(new PiiSpan(EntityType.ORGANIZATION, 19, 24, 1.0)), 3));
    Map<String, EntityType> learned = PhraseDetector.learn(samples);
    assertThat(learned).containsEntry("lending club", EntityType.ORGANIZATION);
    assertThat(learned).containsEntry("garmin", EntityType.ORGANIZATION);
    assertThat(learned).doesNotContainKey("group");
    PhraseDetector d = new PhraseDetector(learned);
    assertThat(detect(d, "a job at lending club"))
        .containsExactly(new PiiSpan(EntityType.ORGANIZATION, 9, 21, PhraseDetector.SCORE));
  }

  @Test
  void outsidePlaceListsAddLocationsButNotWordsCommonOutsideSpans() {
    List<LabelledSample> samples =
        List.of(new LabelledSample("Hope is what the team has", List.of(), 1));
    Map<String, EntityType> learned =
        PhraseDetector.learn(samples, java.util.Set.of("Springfield", "Hope", "Rio Branco"));
    assertThat(learned)
        .containsEntry("springfield", EntityType.LOCATION)
        .containsEntry("rio branco", EntityType.LOCATION)
        .doesNotContainKey("hope");
  }

  @Test
  void theScannerFindsLowerCaseCountriesEvenWithoutANameFinder() {
    PiiScanner scanner = PiiScanner.create();
    assertThat(scanner.scan("we flew to new zealand"))
        .extracting(PiiSpan::type)
        .contains(EntityType.LOCATION);
  }
}
