package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SequenceTaggerTest {

  private static final String[] FIRST = {"Ann", "Bob", "Carla", "Dmitri", "Erin", "Farah", "Gus"};
  private static final String[] CITY = {"Lima", "Oslo", "Quito", "Perth", "Turin", "Graz"};

  /** "Hi NAME, greetings from CITY." and "NAME moved to CITY last year." with many values. */
  private static List<LabelledSample> samples() {
    List<LabelledSample> out = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String name = FIRST[i % FIRST.length];
      String city = CITY[(i * 5) % CITY.length];
      String text;
      if (i % 2 == 0) {
        text = "Hi " + name + ", greetings from " + city + ".";
      } else {
        text = name + " moved to " + city + " last year.";
      }
      int n = text.indexOf(name);
      int c = text.indexOf(city);
      out.add(
          new LabelledSample(
              text,
              List.of(
                  new PiiSpan(EntityType.PERSON, n, n + name.length(), 1),
                  new PiiSpan(EntityType.LOCATION, c, c + city.length(), 1)),
              i % 2));
    }
    return out;
  }

  private static SequenceTagger trained() {
    return trained(1L, 0.0);
  }

  private static SequenceTagger trained(long seed, double contextDrop) {
    List<PerceptronTrainer.Sequence> seqs = new ArrayList<>();
    for (LabelledSample s : samples()) {
      seqs.add(NameFinderTrainer.toSequence(s, Gazetteer.EMPTY));
    }
    return new PerceptronTrainer(5, 1, seed, contextDrop).train(seqs);
  }

  private static List<PiiSpan> scan(SequenceTagger tagger, String text) {
    List<PiiSpan> out = new ArrayList<>();
    NameFinderDetector.of(tagger, Gazetteer.EMPTY).detect(new ScanText(text), out);
    return out;
  }

  @Test
  void learnsNamesAndPlacesFromTheirContextAndTagsUnseenValues() {
    SequenceTagger tagger = trained();

    List<PiiSpan> found = scan(tagger, "Hi Zoltan, greetings from Bergen.");

    assertThat(found)
        .extracting(PiiSpan::type, PiiSpan::start, PiiSpan::end)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(EntityType.PERSON, 3, 9),
            org.assertj.core.groups.Tuple.tuple(EntityType.LOCATION, 26, 32));
    assertThat(found).allSatisfy(s -> assertThat(s.score()).isBetween(0.5, 1.0));
    assertThat(scan(tagger, "the weather is fine today")).isEmpty();
  }

  @Test
  void contextDropoutStillLearnsAndIsDeterministic() {
    SequenceTagger tagger = trained(1L, 0.5);

    assertThat(scan(tagger, "Hi Zoltan, greetings from Bergen."))
        .extracting(PiiSpan::type)
        .containsExactly(EntityType.PERSON, EntityType.LOCATION);
    assertThat(trained(1L, 0.5).weights).isEqualTo(tagger.weights);
    assertThat(tagger.weights).isNotEqualTo(trained().weights);
  }

  @Test
  void anAverageOfModelsScoresAsTheMeanOfTheirScores() {
    SequenceTagger a = trained(1L, 0.0);
    SequenceTagger b = trained(2L, 0.3);

    SequenceTagger avg = SequenceTagger.average(List.of(a, b));

    int[][] keys = NameFeatures.of(Tokens.of("Erin moved to Graz last year."), Gazetteer.EMPTY);
    float[] ea = a.emissions(keys);
    float[] eb = b.emissions(keys);
    float[] e = avg.emissions(keys);
    for (int x = 0; x < e.length; x++) {
      assertThat(e[x]).isCloseTo((ea[x] + eb[x]) / 2, org.assertj.core.data.Offset.offset(1e-4f));
    }
    assertThat(avg.features()).isGreaterThanOrEqualTo(Math.max(a.features(), b.features()));
    assertThat(scan(avg, "Hi Zoltan, greetings from Bergen."))
        .extracting(PiiSpan::type)
        .containsExactly(EntityType.PERSON, EntityType.LOCATION);
    assertThat(SequenceTagger.average(List.of(a))).isSameAs(a);
    SequenceTagger pruned = SequenceTagger.average(List.of(a, b), 0.5f);
    assertThat(pruned.features()).isLessThan(avg.features());
    for (int r = 0; r < pruned.features(); r++) {
      float max = 0;
      for (int x = 0; x < SequenceTagger.TAGS; x++) {
        max = Math.max(max, Math.abs(pruned.weights[r * SequenceTagger.TAGS + x]));
      }
      assertThat(max).isGreaterThanOrEqualTo(0.5f);
    }
  }

  @Test
  void aWrittenModelReadsBackToTheSameTagger() throws IOException {
    SequenceTagger tagger = trained();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    tagger.write(buf);

    SequenceTagger read = SequenceTagger.read(new ByteArrayInputStream(buf.toByteArray()));

    assertThat(read.features()).isEqualTo(tagger.features());
    String text = "Farah moved to Quito last year. Hi Gus, greetings from Lima.";
    assertThat(scan(read, text)).isEqualTo(scan(tagger, text));
    assertThatThrownBy(() -> SequenceTagger.read(new ByteArrayInputStream(new byte[] {1, 2, 3})))
        .isInstanceOf(IOException.class);
  }

  @Test
  void decodingNeverStartsASpanWithAnInsideTag() {
    float[] e = new float[3 * SequenceTagger.TAGS];
    // the emissions alone prefer I-PERSON everywhere
    for (int i = 0; i < 3; i++) {
      e[i * SequenceTagger.TAGS + SequenceTagger.begin(0) + 1] = 5;
    }
    float[] trans = new float[(SequenceTagger.TAGS + 1) * SequenceTagger.TAGS];
    SequenceTagger t = new SequenceTagger(new IntIndex(4), new float[0], trans);

    int[] tags = SequenceTagger.viterbi(e, 3, t.transitions);

    assertThat(tags[0]).isNotEqualTo(SequenceTagger.begin(0) + 1);
    for (int i = 1; i < 3; i++) {
      assertThat(SequenceTagger.allowed(tags[i - 1], tags[i])).isTrue();
    }
  }

  @Test
  void decodingFindsTheBestAllowedSequence() {
    // Viterbi (which tries only B-x and I-x before an I-x) against every allowed sequence of 4
    // tags, for random emissions and transitions
    java.util.Random random = new java.util.Random(7);
    int n = 4;
    int tagCount = SequenceTagger.TAGS;
    for (int round = 0; round < 20; round++) {
      float[] e = new float[n * tagCount];
      for (int i = 0; i < e.length; i++) {
        e[i] = random.nextFloat() * 10 - 5;
      }
      float[] raw = new float[(tagCount + 1) * tagCount];
      for (int i = 0; i < raw.length; i++) {
        raw[i] = random.nextFloat() * 6 - 3;
      }
      float[] trans = new SequenceTagger(new IntIndex(4), new float[0], raw).transitions;

      int[] tags = SequenceTagger.viterbi(e, n, trans);

      double best = Double.NEGATIVE_INFINITY;
      int[] seq = new int[n];
      for (int code = 0; code < Math.pow(tagCount, n); code++) {
        int c = code;
        for (int i = 0; i < n; i++) {
          seq[i] = c % tagCount;
          c /= tagCount;
        }
        best = Math.max(best, score(seq, e, trans));
      }
      assertThat(score(tags, e, trans)).isCloseTo(best, org.assertj.core.data.Offset.offset(1e-3));
      assertThat(SequenceTagger.allowed(tagCount, tags[0])).isTrue();
      for (int i = 1; i < n; i++) {
        assertThat(SequenceTagger.allowed(tags[i - 1], tags[i])).isTrue();
      }
    }
  }

  /** The score of {@code tags}, or minus infinity if BIO does not allow them. */
  private static double score(int[] tags, float[] e, float[] trans) {
    int tagCount = SequenceTagger.TAGS;
    double s = 0;
    int from = tagCount; // the start
    for (int i = 0; i < tags.length; i++) {
      if (!SequenceTagger.allowed(from, tags[i])) {
        return Double.NEGATIVE_INFINITY;
      }
      s += trans[from * tagCount + tags[i]] + e[i * tagCount + tags[i]];
      from = tags[i];
    }
    return s;
  }

  @Test
  void aTokenCacheGivesTheSameKeysAsNone() {
    Gazetteer g =
        Gazetteer.EMPTY.withLists(Map.of("first", Set.of("ann"), "last", Set.of("smith")));
    List<String> texts =
        List.of(
            "meet Ann Smith today",
            "ANN and ann and Ann moved to Graz.",
            "Dear Mr. Smith,\nthe invoice 12-B from Acme Inc is due.",
            "ann smith, ANN SMITH; Ann Smith");
    // one slot: every token evicts the last; 4096: all stay; both must not change a key
    TokenCache one = new TokenCache(g, 1);
    TokenCache many = new TokenCache(g, 4096);
    for (int pass = 0; pass < 2; pass++) {
      for (String text : texts) {
        Tokens tokens = Tokens.of(text);
        int[][] expected = NameFeatures.of(tokens, g);
        assertThat(NameFeatures.of(tokens, g, null, one)).isDeepEqualTo(expected);
        assertThat(NameFeatures.of(tokens, g, null, many)).isDeepEqualTo(expected);
      }
    }
    assertThatThrownBy(() -> NameFeatures.of(Tokens.of("x"), Gazetteer.EMPTY, null, many))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aTokenCacheKeepsNoLongTexts() {
    Gazetteer g = Gazetteer.EMPTY.withLists(Map.of("first", Set.of("ann")));
    TokenCache cache = new TokenCache(g, 4096);
    java.util.Random random = new java.util.Random(7);
    for (int k = 0; k < 50; k++) {
      // a blob of 2 000 letters and digits per text, as tool outputs carry (base64, hex, minified)
      StringBuilder blob = new StringBuilder();
      for (int c = 0; c < 2000; c++) {
        blob.append(
            (char) (random.nextBoolean() ? 'A' + random.nextInt(26) : '0' + random.nextInt(10)));
      }
      Tokens tokens = Tokens.of("Ann sent " + blob + " and " + "X".repeat(33) + " to Ann");
      assertThat(NameFeatures.of(tokens, g, null, cache)).isDeepEqualTo(NameFeatures.of(tokens, g));
    }
    // the short words, and the lower case of the last long text alone: not 50 blobs
    assertThat(cache.heldChars()).isLessThan(2 * 2000 + 100);
    Tokens twice = Tokens.of("Ann " + "Y".repeat(40) + " " + "Y".repeat(40));
    assertThat(NameFeatures.of(twice, g, null, cache)).isDeepEqualTo(NameFeatures.of(twice, g));
  }

  @Test
  void featureKeysDependOnTheNeighbours() {
    Gazetteer g = Gazetteer.EMPTY.withLists(Map.of("first", Set.of("ann")));
    int[][] a = NameFeatures.of(Tokens.of("meet Ann today"), g);
    int[][] b = NameFeatures.of(Tokens.of("from Ann today"), g);
    assertThat(a).hasNumberOfRows(3);
    assertThat(a[1]).isNotEqualTo(b[1]);
    assertThat(a[2]).isNotEqualTo(b[2]);
    assertThat(NameFeatures.of(Tokens.of("meet Ann today"), g)[1]).isEqualTo(a[1]);
  }

  @Test
  void theIndexMapsKeysToDenseRows() {
    IntIndex index = new IntIndex(2);
    for (int k = 0; k < 1000; k++) {
      assertThat(index.add(k * 7919)).isEqualTo(k);
    }
    assertThat(index.get(7919 * 500)).isEqualTo(500);
    assertThat(index.get(3)).isEqualTo(-1);
    assertThat(index.add(0)).isZero();
    assertThat(index.keysByRow()[999]).isEqualTo(999 * 7919);
  }
}
