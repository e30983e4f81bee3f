package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FakerValuesTest {

  private final FakerValues faker = new FakerValues(1L);

  @Test
  void fillsNamePlaceAndOrganisationPlaceholdersWithLatinValuesAndNothingElse() {
    Random r = new Random(3);
    for (String p : List.of("first_name", "last_name", "person", "city", "country", "company")) {
      for (int i = 0; i < 50; i++) {
        String v = faker.value(p, r);
        if (v != null) {
          assertThat(v).isNotBlank().doesNotMatch(".*[\\p{IsCyrillic}\\p{IsGreek}].*");
        }
      }
    }
    assertThat(faker.value("person", new Random(4))).contains(" ");
    assertThat(faker.value("credit_card_number", r)).isNull();
    assertThat(faker.value("phone_number", r)).isNull();
  }

  @Test
  void wordListsKeepPeoplesNamesOutOfCityStreetAndCompanyWords() {
    Map<String, Set<String>> lists = faker.wordLists(200);
    assertThat(lists.keySet()).containsAll(Gazetteer.LIST_NAMES);
    assertThat(lists.get("first")).hasSizeGreaterThan(500);
    for (String l : List.of("city", "street", "company")) {
      assertThat(lists.get(l)).doesNotContainAnyElementsOf(lists.get("first"));
      assertThat(lists.get(l)).doesNotContainAnyElementsOf(lists.get("last"));
    }
    assertThat(lists.get("company")).doesNotContain("and", "und");
    assertThat(lists.get("first"))
        .allSatisfy(w -> assertThat(w).isLowerCase().hasSizeGreaterThan(2));
  }

  @Test
  void augmenterLabelsFreshValuesWithThePlaceholdersTypeAndKeepsOtherValues() {
    Augmenter a = new Augmenter();
    a.add(
        new LabelledSample(
            "Hi Ann, call 555-0101 in Peru",
            List.of(
                new PiiSpan(EntityType.PERSON, 3, 6, 1.0),
                new PiiSpan(EntityType.PHONE_NUMBER, 13, 21, 1.0),
                new PiiSpan(EntityType.LOCATION, 25, 29, 1.0)),
            7),
        "Hi {{first_name}}, call {{phone_number}} in {{country}}");
    assertThat(a.wholeValueTypes())
        .containsEntry("first_name", EntityType.PERSON)
        .containsEntry("country", EntityType.LOCATION)
        .doesNotContainKey("phone_number");
    int fresh = 0;
    for (LabelledSample s : a.generate(40, 0.0, 5L, faker, 1.0)) {
      assertThat(s.gold()).hasSize(3);
      assertThat(s.gold())
          .extracting(PiiSpan::type)
          .containsExactly(EntityType.PERSON, EntityType.PHONE_NUMBER, EntityType.LOCATION);
      PiiSpan phone = s.gold().get(1);
      assertThat(s.text().substring(phone.start(), phone.end())).isEqualTo("555-0101");
      PiiSpan person = s.gold().get(0);
      assertThat(person.start()).isEqualTo(3);
      assertThat(s.text().charAt(person.end())).isEqualTo(',');
      if (!s.text().startsWith("Hi Ann,")) {
        fresh++;
      }
    }
    assertThat(fresh).isGreaterThan(30);
  }
}
