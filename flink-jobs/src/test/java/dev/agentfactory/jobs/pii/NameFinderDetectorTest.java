package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NameFinderDetectorTest {

  @Test
  void aSpanOfDigitsAloneIsNeverANameOrAddress() {
    // the bundled tagger once tagged the "42" of this command as an ADDRESS
    PiiScanner scanner = PiiScanner.create();
    assertThat(scanner.scan("echo 6x7 is 42")).isEmpty();
    assertThat(scanner.scan("what is 6x7? 6x7 is 42")).isEmpty();
  }

  @Test
  void aNumberAfterAPostalWordIsAPostcode() {
    Tokens tokens = Tokens.of("My zip code is 35649");
    assertThat(SpanRules.postalWordBefore(tokens, 4)).isTrue();
    assertThat(SpanRules.postalWordBefore(Tokens.of("echo 6x7 is 42"), 3)).isFalse();
    assertThat(SpanRules.postalWordBefore(tokens, 0)).isFalse();
  }

  @Test
  void hasLetterLooksAtEveryTokenOfTheSpan() {
    Tokens tokens = Tokens.of("at 12 Main St");
    assertThat(SpanRules.hasLetter(tokens, 1, 2)).isFalse();
    assertThat(SpanRules.hasLetter(tokens, 1, 4)).isTrue();
  }

  // post-processing of tagged spans, over hand-made tagger output and word lists

  private static final NameFinderDetector POST =
      NameFinderDetector.of(
          null,
          Gazetteer.EMPTY.withLists(
              Map.of(
                  "first",
                  Set.of("layla", "harry", "michele", "erika", "tammy", "sandy", "will", "paris"),
                  "last",
                  Set.of("kappel", "smith"),
                  "city",
                  Set.of("paris"),
                  "common",
                  Set.of("will", "just", "tone"),
                  "country",
                  Set.of("myanmar"))));

  private static List<String> post(String text, SequenceTagger.TokenSpan... spans) {
    List<PiiSpan> out = new ArrayList<>();
    POST.spans(Tokens.of(text), List.of(spans), out);
    List<String> shown = new ArrayList<>();
    for (PiiSpan s : PiiScanner.resolve(out)) {
      shown.add(s.type() + "=" + text.substring(s.start(), s.end()));
    }
    return shown;
  }

  private static SequenceTagger.TokenSpan span(
      EntityType type, int first, int last, double margin) {
    return new SequenceTagger.TokenSpan(type, first, last, margin);
  }

  @Test
  void aListOfFirstNamesIsPeopleWhateverTheTaggerCalledIt() {
    // tokens: They had 3 : Layla , Harry , Michele and Erika .
    //          0    1   2 3 4     5 6     7 8       9   10
    assertThat(
            post(
                "They had 3: Layla, Harry, Michele and Erika.",
                span(EntityType.ADDRESS, 4, 10, -8)))
        .containsExactly("PERSON=Layla", "PERSON=Harry", "PERSON=Michele", "PERSON=Erika");
    // two names are no list; places are not first names
    assertThat(post("Layla and Harry", span(EntityType.ADDRESS, 0, 3, 4)))
        .containsExactly("ADDRESS=Layla and Harry");
  }

  @Test
  void aNameBeforeAPossessiveIsAPerson() {
    assertThat(
            post(
                "verses from Tammy Kappel's Cautionary Tales.",
                span(EntityType.ORGANIZATION, 2, 6, 2)))
        .containsExactly("PERSON=Tammy Kappel");
    // no first name in front: an organisation stays one
    assertThat(post("at Smith's Fine Foods", span(EntityType.ORGANIZATION, 1, 4, 2)))
        .containsExactly("ORGANIZATION=Smith's Fine Foods");
  }

  @Test
  void oneWordPersonsThatAreNoNamesAreDropped() {
    assertThat(post("satanic felines and journeys", span(EntityType.PERSON, 1, 2, 4))).isEmpty();
    assertThat(post("Just do it", span(EntityType.PERSON, 0, 1, 4))).isEmpty();
    // a common word that is also a first name stays
    assertThat(post("Will said so", span(EntityType.PERSON, 0, 1, 4)))
        .containsExactly("PERSON=Will");
    assertThat(post("ask Layla", span(EntityType.PERSON, 1, 2, 4))).containsExactly("PERSON=Layla");
    // a country name that is no person's name is a place
    assertThat(post("to the Myanmar", span(EntityType.PERSON, 2, 3, 4)))
        .containsExactly("LOCATION=Myanmar");
  }

  @Test
  void aFirstNameOutsideConfidentSpansIsAPersonWithItsSurname() {
    assertThat(post("Producer Sandy Lahtela explained it")).containsExactly("PERSON=Sandy Lahtela");
    assertThat(post("here's Layla's address")).containsExactly("PERSON=Layla");
    // a first name that is also a common word or a place is not taken alone
    assertThat(post("Will Paris do")).isEmpty();
    // a confident tagger span keeps its own reading; an unsure one loses to the fallback's
    assertThat(post("Sandy Lahtela", span(EntityType.LOCATION, 0, 2, 4)))
        .containsExactly("LOCATION=Sandy Lahtela");
    // an unsure tagger span loses to a phrase match; the name inside it is still found
    String text = "India. Producer Sandy Lahtela";
    List<PiiSpan> out = new ArrayList<>(List.of(new PiiSpan(EntityType.LOCATION, 0, 5, 0.6)));
    POST.spans(Tokens.of(text), List.of(span(EntityType.LOCATION, 0, 5, -2)), out);
    assertThat(PiiScanner.resolve(out))
        .extracting(s -> s.type() + "=" + text.substring(s.start(), s.end()))
        .containsExactly("LOCATION=India", "PERSON=Sandy Lahtela");
    assertThat(post("sandy lahtela")).isEmpty();
  }

  @Test
  void aPersonSpanIsSplitAtASentenceEndAndLosesALeadingLowerCaseWord() {
    // tokens: the salarymen . Unfortunately Layla
    assertThat(post("the salarymen. Unfortunately Layla", span(EntityType.PERSON, 1, 5, 4)))
        .containsExactly("PERSON=Unfortunately Layla");
    assertThat(post("starring Sandy Lahtela", span(EntityType.PERSON, 0, 3, 4)))
        .containsExactly("PERSON=Sandy Lahtela");
    // an initial's dot does not end a sentence; a name particle stays
    assertThat(post("Sandy J. Smith", span(EntityType.PERSON, 0, 4, 4)))
        .containsExactly("PERSON=Sandy J. Smith");
    assertThat(post("van Gogh", span(EntityType.PERSON, 0, 2, 4)))
        .containsExactly("PERSON=van Gogh");
  }

  @Test
  void aNameInFrontOfAnAddressIsAPerson() {
    // tokens: Miss Layla Kvamme Apt . 722 20 rue Victor Hugo
    //         0    1     2      3   4 5   6  7   8      9
    assertThat(
            post(
                "Miss Layla Kvamme Apt. 722 20 rue Victor Hugo",
                span(EntityType.ADDRESS, 0, 10, 4)))
        .containsExactly("PERSON=Miss Layla Kvamme", "ADDRESS=Apt. 722 20 rue Victor Hugo");
    // the tagger's PERSON span stopped at the first name: it takes the surname back
    assertThat(
            post(
                "Mrs. Layla Weöres Apt. 434 40 Rue de la Sarthe",
                span(EntityType.PERSON, 0, 3, 4),
                span(EntityType.ADDRESS, 3, 12, 4)))
        .containsExactly("PERSON=Mrs. Layla Weöres", "ADDRESS=Apt. 434 40 Rue de la Sarthe");
    // a street named after a person, with no number after the name, stays an address
    assertThat(post("Layla Kvamme Street 5", span(EntityType.ADDRESS, 0, 4, 4)))
        .containsExactly("ADDRESS=Layla Kvamme Street 5");
  }
}
