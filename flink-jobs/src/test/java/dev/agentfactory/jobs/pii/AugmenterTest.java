package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.util.List;
import org.junit.jupiter.api.Test;

class AugmenterTest {

  @Test
  void refillsTemplatesWithValuesOfTheSamePlaceholderAndMovesTheGoldSpans() {
    Augmenter a = new Augmenter();
    a.add(
        new LabelledSample(
            "Hi Ann, greetings from Peru",
            List.of(
                new PiiSpan(EntityType.PERSON, 3, 6, 1.0),
                new PiiSpan(EntityType.LOCATION, 23, 27, 1.0)),
            7),
        "Hi {{first_name}}, greetings from {{country}}");
    a.add(
        new LabelledSample(
            "Bartholomew lives in New Zealand",
            List.of(
                new PiiSpan(EntityType.PERSON, 0, 11, 1.0),
                new PiiSpan(EntityType.LOCATION, 21, 32, 1.0)),
            8),
        "{{first_name}} lives in {{country}}");
    // a gold span that crosses the placeholder boundary: not aligned, skipped
    a.add(
        new LabelledSample("Mr Bo", List.of(new PiiSpan(EntityType.PERSON, 0, 5, 1.0)), 9),
        "Mr {{first_name}}");
    assertThat(a.templateCount()).isEqualTo(2);
    for (LabelledSample s : a.generate(20, 0.0, 1L)) {
      assertThat(s.gold()).hasSize(2);
      for (PiiSpan g : s.gold()) {
        String value = s.text().substring(g.start(), g.end());
        if (g.type() == EntityType.PERSON) {
          assertThat(value).isIn("Ann", "Bartholomew");
        } else {
          assertThat(value).isIn("Peru", "New Zealand");
        }
      }
    }
    assertThat(a.generate(5, 1.0, 2L)).allSatisfy(s -> assertThat(s.text()).isLowerCase());
  }

  @Test
  void swapsValuesAcrossTypesAndTheGoldLabelFollowsTheValue() {
    Augmenter a = new Augmenter();
    a.add(
        new LabelledSample(
            "Hi Ann, greetings from Peru",
            List.of(
                new PiiSpan(EntityType.PERSON, 3, 6, 1.0),
                new PiiSpan(EntityType.LOCATION, 23, 27, 1.0)),
            7),
        "Hi {{first_name}}, greetings from {{country}}");
    a.add(
        new LabelledSample(
            "She works for Initech", List.of(new PiiSpan(EntityType.ORGANIZATION, 14, 21, 1.0)), 8),
        "She works for {{company}}");
    java.util.Map<String, EntityType> typeOf =
        java.util.Map.of(
            "Ann", EntityType.PERSON,
            "Peru", EntityType.LOCATION,
            "Initech", EntityType.ORGANIZATION);
    int swapped = 0;
    for (LabelledSample s : a.generate(50, 0.0, 3L, null, 0.0, 0.5)) {
      for (PiiSpan g : s.gold()) {
        String value = s.text().substring(g.start(), g.end());
        assertThat(typeOf).containsEntry(value, g.type());
      }
      if (!s.text().equals("Hi Ann, greetings from Peru")
          && !s.text().equals("She works for Initech")) {
        swapped++;
      }
    }
    assertThat(swapped).isBetween(20, 90);
    // without swaps, the same seed gives exactly the plain refills
    assertThat(a.generate(5, 0.0, 3L, null, 0.0, 0.0)).isEqualTo(a.generate(5, 0.0, 3L));
  }
}
