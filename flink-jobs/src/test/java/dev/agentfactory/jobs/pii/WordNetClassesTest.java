package dev.agentfactory.jobs.pii;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WordNetClassesTest {

  private static final int NOUN = 1;
  private static final int VERB = 2;
  private static final int ADVERB = 8;
  private static final Map<String, Integer> DERIVED = WordNetClasses.derive();

  private static int lexFile(int code) {
    return (code >>> WordNetClasses.LEX_SHIFT) - 1;
  }

  private static int bucket(int code) {
    return code >>> WordNetClasses.FREQ_SHIFT & 7;
  }

  @Test
  void derivesPartsOfSpeechCommonnessAndSemanticClassFromWordNet() {
    assertThat(DERIVED)
        .as("WordNet 3.1 on the test classpath")
        .isNotNull()
        .hasSizeGreaterThan(80_000);
    int sunday = DERIVED.get("sunday");
    assertThat(sunday & 15).isEqualTo(NOUN);
    assertThat(lexFile(sunday)).as("noun.time").isEqualTo(28);
    int answer = DERIVED.get("answer");
    assertThat(answer & 15).isEqualTo(NOUN | VERB);
    assertThat(bucket(answer)).as("tagged 100+ times").isEqualTo(4);
    assertThat(DERIVED.get("unfortunately") & 15).isEqualTo(ADVERB);
    assertThat(lexFile(DERIVED.get("paris"))).as("noun.location").isEqualTo(15);
    assertThat(DERIVED).doesNotContainKeys("metallica", "new_york", "kpmg");
  }

  @Test
  void looksUpRegularInflectionsAndNothingElse() {
    WordNetClasses wn = WordNetClasses.bundled();
    assertThat(wn.code("hobbits")).isEqualTo(DERIVED.get("hobbit")).isNotZero();
    assertThat(wn.code("cities")).isEqualTo(DERIVED.get("city"));
    assertThat(wn.code("jumped")).isEqualTo(DERIVED.get("jump"));
    assertThat(wn.code("grabbing")).isEqualTo(DERIVED.get("grab")).isNotZero();
    assertThat(wn.code("metallica")).isZero();
    assertThat(wn.code("kpmg")).isZero();
  }

  @Test
  void collidingHashCodesLeaveOneWordItsCode() {
    WordNetClasses bundled = WordNetClasses.bundled();
    // a handful of words share a String.hashCode with another (ip, k2): one of them keeps its code
    assertThat(bundled.size()).isBetween(DERIVED.size() - 20, DERIVED.size() - 1);
    long same =
        DERIVED.entrySet().stream().filter(e -> bundled.code(e.getKey()) == e.getValue()).count();
    assertThat(same).isEqualTo(bundled.size());
    assertThat(bundled.code("ip")).isEqualTo(DERIVED.get("ip"));
    assertThat(bundled.code("k2")).as("collides with ip").isZero();
  }

  @Test
  void theWrittenTableReadsBackAsTheDerivedOne() throws Exception {
    StringWriter out = new StringWriter();
    assertThat(WordNetClasses.write(out)).isTrue();
    assertThat(out.toString())
        .contains("\nsunday\t" + DERIVED.get("sunday") + "\n")
        .as("WordNet's licence asks for its notice on every copy")
        .contains("# WordNet 3.1 Copyright 2011 by Princeton University.");
    WordNetClasses read =
        WordNetClasses.read(new ByteArrayInputStream(out.toString().getBytes(UTF_8)));
    assertThat(read.size()).isEqualTo(WordNetClasses.bundled().size());
    assertThat(DERIVED)
        .allSatisfy(
            (w, code) -> assertThat(read.code(w)).isEqualTo(WordNetClasses.bundled().code(w)));
  }

  @Test
  void theBuildShipsTheTableTheTaggerWasTrainedWith() throws Exception {
    if (NameFinderDetector.class.getResource(
            PiiModel.SHIPPED.resource(NameFinderDetector.MODEL_FILE))
        == null) {
      return; // no PII data beside the checkout: no tagger, no table
    }
    // the job jar and the CLI have no WordNet: they read this file
    try (InputStream in = WordNetClasses.class.getResourceAsStream(WordNetClasses.RESOURCE)) {
      assertThat(in).as("a trained tagger needs its WordNet table at run time").isNotNull();
      WordNetClasses shipped = WordNetClasses.read(in);
      assertThat(shipped.size()).isEqualTo(WordNetClasses.bundled().size());
      for (String w : List.of("sunday", "answer", "unfortunately", "paris", "ip", "hobbits")) {
        assertThat(shipped.code(w)).as(w).isEqualTo(WordNetClasses.bundled().code(w)).isNotZero();
      }
    }
  }
}
