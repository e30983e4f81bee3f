package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the CLI on the small labelled set beside the checkout (skipped where it is absent). */
class PiiCliTest {

  private static final Path SMALL =
      Path.of(System.getProperty("pii.data.dir", "../../shared/data/pii"), "generated_small.json");

  @TempDir Path dir;

  @Test
  void scanWritesOneEntryPerSampleWithReasonableRecall() throws Exception {
    assumeTrue(Files.isRegularFile(SMALL), "no labelled data at " + SMALL.toAbsolutePath());
    Path out = dir.resolve("spans.json");

    int rc =
        PiiCli.run(
            new String[] {"scan", "--input", SMALL.toString(), "--output", out.toString()},
            System.out,
            System.err);

    assertThat(rc).isZero();
    JsonNode result = new ObjectMapper().readTree(out.toFile());
    List<LabelledSample> samples = PiiDataset.read(SMALL, PiiDataset.Split.ALL);
    assertThat(result.size()).isEqualTo(samples.size());
    assertThat(result.get(0).get("spans").get(0).fieldNames())
        .toIterable()
        .contains("entity_type", "start", "end");
    SpanEvaluation eval = new SpanEvaluation(0.5);
    for (int i = 0; i < samples.size(); i++) {
      List<PiiSpan> predicted = new java.util.ArrayList<>();
      for (JsonNode s : result.get(i).get("spans")) {
        predicted.add(
            new PiiSpan(
                EntityType.parse(s.get("entity_type").asText()),
                s.get("start").asInt(),
                s.get("end").asInt(),
                1));
      }
      eval.add(samples.get(i).text(), samples.get(i).gold(), predicted);
    }
    assertThat(eval.overall().recall()).isGreaterThan(0.5);
  }

  @Test
  void evalPrintsATableWithAnOverallRow() throws Exception {
    assumeTrue(Files.isRegularFile(SMALL), "no labelled data at " + SMALL.toAbsolutePath());
    ByteArrayOutputStream buf = new ByteArrayOutputStream();

    int rc =
        PiiCli.run(
            new String[] {"eval", "--input", SMALL.toString(), "--split", "all"},
            new PrintStream(buf, true, StandardCharsets.UTF_8),
            System.err);

    assertThat(rc).isZero();
    assertThat(buf.toString(StandardCharsets.UTF_8))
        .contains("precision", "recall", "f2", "PII (overall)", "CREDIT_CARD");
  }

  @Test
  void heldOutIsEvaluatedWithTheModelThatNeverSawIt() throws Exception {
    assumeTrue(Files.isRegularFile(SMALL), "no labelled data at " + SMALL.toAbsolutePath());
    ByteArrayOutputStream buf = new ByteArrayOutputStream();

    int rc =
        PiiCli.run(
            new String[] {"eval", "--input", SMALL.toString(), "--split", "heldout"},
            new PrintStream(buf, true, StandardCharsets.UTF_8),
            System.err);

    assertThat(rc).isZero();
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("model train-split");
  }

  @Test
  void anUnknownModelIsAUsageErrorNamingIt() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int rc =
        PiiCli.run(
            new String[] {"eval", "--input", "x.json", "--model", "best"},
            System.out,
            new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(rc).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown --model best");
  }

  @Test
  void missingArgumentsAreAUsageError() throws Exception {
    assertThat(
            PiiCli.run(
                new String[] {"scan"}, System.out, new PrintStream(new ByteArrayOutputStream())))
        .isEqualTo(2);
  }
}
