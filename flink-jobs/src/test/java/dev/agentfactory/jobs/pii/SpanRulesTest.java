package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The span boundary rules of {@link SpanRules}, over hand-made tagger output and word lists. */
class SpanRulesTest {

  private static final SpanRules RULES =
      new SpanRules(
          Gazetteer.EMPTY.withLists(
              Map.of(
                  "first",
                  Set.of("sandy", "kevin", "torben", "layla"),
                  "last",
                  Set.of("lahtela", "smith", "kelly"),
                  "city",
                  Set.of("paris"),
                  "common",
                  Set.of("hi", "officer", "social", "new", "the", "score", "walk"),
                  "country",
                  Set.of("myanmar"))));

  private static List<String> post(String text, SequenceTagger.TokenSpan... spans) {
    List<PiiSpan> out = new ArrayList<>();
    RULES.apply(Tokens.of(text), List.of(spans), out);
    List<String> shown = new ArrayList<>();
    for (PiiSpan s : PiiScanner.resolve(out)) {
      shown.add(s.type() + "=" + text.substring(s.start(), s.end()));
    }
    return shown;
  }

  private static SequenceTagger.TokenSpan span(EntityType type, int first, int last) {
    return new SequenceTagger.TokenSpan(type, first, last, 4);
  }

  @Test
  void aPersonSpanLosesTheCueWordsInFrontOfTheName() {
    // tokens: Hi Romilda , I am writing
    assertThat(post("Hi Romilda, I am writing", span(EntityType.PERSON, 0, 2)))
        .containsExactly("PERSON=Romilda");
    assertThat(post("Producer Sandy Lahtela explained", span(EntityType.PERSON, 0, 3)))
        .containsExactly("PERSON=Sandy Lahtela");
    assertThat(post("producer sandy lahtela explained", span(EntityType.PERSON, 0, 3)))
        .containsExactly("PERSON=sandy lahtela");
    assertThat(post("Officer Torben said", span(EntityType.PERSON, 0, 2)))
        .containsExactly("PERSON=Torben");
    // tokens: as regular RR commenter Sandy Lahtela points out
    assertThat(
            post("as regular RR commenter Sandy Lahtela points out", span(EntityType.PERSON, 2, 6)))
        .containsExactly("PERSON=Sandy Lahtela");
  }

  @Test
  void aSpanLosesThePunctuationAtItsEdgesButKeepsAFinalDot() {
    // tokens: ? ? ? Sandy Lahtela <NL>: a bullet the tagger took into the name
    assertThat(post("??? Sandy Lahtela\nhere", span(EntityType.ORGANIZATION, 1, 6)))
        .containsExactly("ORGANIZATION=Sandy Lahtela");
    // tokens: ( Paris ) ,
    assertThat(post("(Paris), then", span(EntityType.LOCATION, 0, 4)))
        .containsExactly("LOCATION=Paris");
    assertThat(post("* Sandy Lahtela Ltd.", span(EntityType.ORGANIZATION, 0, 5)))
        .containsExactly("ORGANIZATION=Sandy Lahtela Ltd.");
    assertThat(post("- --", span(EntityType.PERSON, 0, 3))).isEmpty();
  }

  @Test
  void onlyAnAddressRunsOverALineBreak() {
    // tokens: * Dozwil <NL> * Mongolia
    assertThat(post("* Dozwil\n* Mongolia", span(EntityType.LOCATION, 0, 5)))
        .containsExactly("LOCATION=Dozwil", "LOCATION=Mongolia");
    assertThat(post("Sandy\nLahtela", span(EntityType.PERSON, 0, 3)))
        .containsExactly("PERSON=Sandy", "PERSON=Lahtela");
    // tokens: 12 Main Street <NL> Apt . 5
    assertThat(post("12 Main Street\nApt. 5", span(EntityType.ADDRESS, 0, 7)))
        .containsExactly("ADDRESS=12 Main Street\nApt. 5");
  }

  @Test
  void prefixesParticlesAndOrganisationLikeWordsStay() {
    assertThat(post("Dr. Sandy Lahtela", span(EntityType.PERSON, 0, 4)))
        .containsExactly("PERSON=Dr. Sandy Lahtela");
    assertThat(post("Kevin van Smith", span(EntityType.PERSON, 0, 3)))
        .containsExactly("PERSON=Kevin van Smith");
    // a common word before a word no name list has may be part of a name
    assertThat(post("The Social Explorer office", span(EntityType.PERSON, 1, 3)))
        .containsExactly("PERSON=Social Explorer");
    assertThat(post("Walk Score", span(EntityType.PERSON, 0, 2)))
        .containsExactly("PERSON=Walk Score");
  }

  @Test
  void aPersonSpanLosesATrailingVerb() {
    // tokens: sandy lahtela md listed his top songs
    assertThat(post("sandy lahtela md listed his top songs", span(EntityType.PERSON, 0, 4)))
        .containsExactly("PERSON=sandy lahtela md");
    // a name-list word stays, even ending in -ly
    assertThat(post("sandy kelly", span(EntityType.PERSON, 0, 2)))
        .containsExactly("PERSON=sandy kelly");
  }

  @Test
  void aPlaceSpanEndsAtAPossessiveName() {
    // tokens: verses from Kevin Berková's Cautionary Tales .
    assertThat(
            post("verses from Kevin Berková's Cautionary Tales.", span(EntityType.LOCATION, 2, 6)))
        .containsExactly("PERSON=Kevin Berková");
    // no first name in front: a place stays one
    assertThat(post("at St. John's Wood", span(EntityType.LOCATION, 1, 5)))
        .containsExactly("LOCATION=St. John's Wood");
  }

  @Test
  void theFirstOfTwoNamesJoinedByAndIsAPersonToo() {
    // tokens: Sjöberg and Cantu were engineers
    assertThat(post("Sjöberg and Cantu were engineers", span(EntityType.PERSON, 2, 3)))
        .containsExactly("PERSON=Sjöberg", "PERSON=Cantu");
    assertThat(post("norberg and smith were engineers", span(EntityType.PERSON, 2, 3)))
        .containsExactly("PERSON=norberg", "PERSON=smith");
    // a place or a common word is no name; nor is a word of another case
    assertThat(post("Paris and Cantu", span(EntityType.PERSON, 2, 3)))
        .containsExactly("PERSON=Cantu");
    assertThat(post("Walk and Cantu", span(EntityType.PERSON, 2, 3)))
        .containsExactly("PERSON=Cantu");
    assertThat(post("norberg and Cantu", span(EntityType.PERSON, 2, 3)))
        .containsExactly("PERSON=Cantu");
  }

  @Test
  void anUnknownWordInAPersonContextIsAPerson() {
    assertThat(post("As promised, here's Hleb's address: 12 Main St"))
        .containsExactly("PERSON=Hleb");
    assertThat(post("Gréta is from Sas")).containsExactly("PERSON=Gréta");
    // not before other nouns, not places, not common words, not inside a sure span
    assertThat(post("here's Hleb's dog")).isEmpty();
    assertThat(post("Paris is from the past")).isEmpty();
    assertThat(post("The is from")).isEmpty();
    assertThat(post("Hleb Smith's address", span(EntityType.ORGANIZATION, 0, 2)))
        .containsExactly("ORGANIZATION=Hleb Smith's");
  }

  @Test
  void adverbsAcronymsAndLowerCaseCommonWordsAreNoNames() {
    assertThat(post("Unfortunately, it rained", span(EntityType.PERSON, 0, 1))).isEmpty();
    assertThat(post("Kelly, it rained", span(EntityType.PERSON, 0, 1)))
        .containsExactly("PERSON=Kelly");
    assertThat(post("as RR said", span(EntityType.PERSON, 1, 2))).isEmpty();
    // tokens: Canon invested in new designs
    assertThat(post("Canon invested in new designs", span(EntityType.LOCATION, 3, 4))).isEmpty();
    // an all-lower-case text writes places in lower case too
    assertThat(post("canon invested in new designs", span(EntityType.LOCATION, 3, 4)))
        .containsExactly("LOCATION=new");
  }

  @Test
  void aSpanStartingInLowerCaseInACapitalisedTextLosesTheLowerCaseWords() {
    // tokens: About Hobbits , satanic felines and interstellar journeys
    assertThat(
            post(
                "About Hobbits, satanic felines and interstellar journeys",
                span(EntityType.ORGANIZATION, 3, 7)))
        .isEmpty();
    assertThat(post("About the Walk Club", span(EntityType.ORGANIZATION, 1, 4)))
        .containsExactly("ORGANIZATION=Walk Club");
    // an all-lower-case text and name particles are left alone
    assertThat(post("about the walk club", span(EntityType.ORGANIZATION, 1, 4)))
        .containsExactly("ORGANIZATION=the walk club");
    assertThat(post("Meet van Gogh", span(EntityType.PERSON, 1, 3)))
        .containsExactly("PERSON=van Gogh");
  }

  @Test
  void aJobTitleInAppositionAfterANameIsATitle() {
    // tokens: Sandy Lahtela , the Outside order clerk , said
    assertThat(post("Sandy Lahtela, the Outside order clerk, said", span(EntityType.PERSON, 0, 2)))
        .containsExactly("PERSON=Sandy Lahtela", "TITLE=Outside order clerk");
    // no comma after it, or a name in it: no title
    assertThat(post("Sandy Lahtela, the Outside order clerk said", span(EntityType.PERSON, 0, 2)))
        .containsExactly("PERSON=Sandy Lahtela");
    assertThat(post("Sandy Lahtela, the Lahtela order, said", span(EntityType.PERSON, 0, 2)))
        .containsExactly("PERSON=Sandy Lahtela");
  }

  @Test
  void anOrganisationBeforeAPlaceIsAnOrganisation() {
    // tokens: a year at Castle Biosciences in Howick
    assertThat(post("a year at Castle Biosciences in Howick", span(EntityType.LOCATION, 6, 7)))
        .containsExactly("ORGANIZATION=Castle Biosciences", "LOCATION=Howick");
    assertThat(post("a year at home in Howick", span(EntityType.LOCATION, 5, 6)))
        .containsExactly("LOCATION=Howick");
  }
}
