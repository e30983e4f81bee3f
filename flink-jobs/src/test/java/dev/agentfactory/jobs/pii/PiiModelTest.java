package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The build trains two models (see {@link PiiModel}): the shipped one on every labelled template,
 * the twin without the held-out templates. The twin must not know held-out values, or the held-out
 * figure would be a lie; the shipped one should.
 */
class PiiModelTest {

  private static final Path LARGE =
      Path.of(System.getProperty("pii.data.dir", "../../shared/data/pii"), "generated_large.json");

  @Test
  void onlyTheShippedModelKnowsValuesThatOccurOnlyInHeldOutTemplates() throws Exception {
    assumeTrue(Files.isRegularFile(LARGE), "no labelled data at " + LARGE.toAbsolutePath());
    Set<String> seenInTraining = new HashSet<>();
    for (LabelledSample s : PiiDataset.read(LARGE, PiiDataset.Split.TRAIN)) {
      for (PiiSpan g : s.gold()) {
        seenInTraining.add(PhraseDetector.key(s.text().substring(g.start(), g.end())));
      }
    }
    Set<String> heldOutOnly = new HashSet<>();
    for (LabelledSample s : PiiDataset.read(LARGE, PiiDataset.Split.HELDOUT)) {
      for (PiiSpan g : s.gold()) {
        String value = PhraseDetector.key(s.text().substring(g.start(), g.end()));
        // several-word organisation names: no country list or Faker list supplies those
        if (g.type() == EntityType.ORGANIZATION
            && value.indexOf(' ') > 0
            && !seenInTraining.contains(value)) {
          heldOutOnly.add(value);
        }
      }
    }
    assertThat(heldOutOnly).isNotEmpty();

    PhraseDetector shipped = PhraseDetector.bundled(PiiModel.SHIPPED);
    PhraseDetector twin = PhraseDetector.bundled(PiiModel.TRAIN_SPLIT);

    assertThat(heldOutOnly).allSatisfy(v -> assertThat(twin.typeOf(v)).as(v).isNull());
    assertThat(heldOutOnly.stream().filter(v -> shipped.typeOf(v) == EntityType.ORGANIZATION))
        .isNotEmpty();
  }

  @Test
  void bothModelsAreOnTheClassPathAndDiffer() throws Exception {
    assumeTrue(Files.isRegularFile(LARGE), "no labelled data at " + LARGE.toAbsolutePath());
    for (PiiModel m : PiiModel.values()) {
      assertThat(NameFinderDetector.bundled(m)).as(m.name()).isPresent();
    }
    assertThat(PiiScanner.create(PiiModel.TRAIN_SPLIT).hasNameFinder()).isTrue();
    try (var a = PiiModel.class.getResourceAsStream(PiiModel.SHIPPED.resource("ner-tagger.bin"));
        var b =
            PiiModel.class.getResourceAsStream(PiiModel.TRAIN_SPLIT.resource("ner-tagger.bin"))) {
      assertThat(a.readAllBytes()).isNotEqualTo(b.readAllBytes());
    }
  }

  @Test
  void heldOutIsEvaluatedWithTheTwin() {
    assertThat(PiiModel.forEvaluation(PiiDataset.Split.HELDOUT)).isEqualTo(PiiModel.TRAIN_SPLIT);
    assertThat(PiiModel.forEvaluation(PiiDataset.Split.VALIDATION)).isEqualTo(PiiModel.SHIPPED);
    assertThat(PiiModel.named("train-split")).isEqualTo(PiiModel.TRAIN_SPLIT);
    assertThat(PiiModel.named("Tool-Output")).isEqualTo(PiiModel.TOOL_OUTPUT);
  }
}
