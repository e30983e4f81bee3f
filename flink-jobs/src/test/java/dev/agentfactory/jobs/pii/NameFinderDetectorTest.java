package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

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
    assertThat(NameFinderDetector.postalWordBefore(tokens, 4)).isTrue();
    assertThat(NameFinderDetector.postalWordBefore(Tokens.of("echo 6x7 is 42"), 3)).isFalse();
    assertThat(NameFinderDetector.postalWordBefore(tokens, 0)).isFalse();
  }

  @Test
  void hasLetterLooksAtEveryTokenOfTheSpan() {
    Tokens tokens = Tokens.of("at 12 Main St");
    assertThat(NameFinderDetector.hasLetter(tokens, 1, 2)).isFalse();
    assertThat(NameFinderDetector.hasLetter(tokens, 1, 4)).isTrue();
  }
}
