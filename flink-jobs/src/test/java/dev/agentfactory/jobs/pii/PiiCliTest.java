package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the CLI on the small labelled set beside the checkout (skipped where it is absent). */
class PiiCliTest {

  private static final Path SMALL =
      Path.of(System.getProperty("pii.data.dir", "../../shared/data/pii"), "generated_small.json");

  @TempDir Path dir;

  /** What one run of the CLI returned and printed. */
  private record Run(int rc, String out, String err) {}

  private static Run cli(String... args) throws IOException {
    return cli(PiiDataset::readChecked, args);
  }

  private static Run cli(PiiCli.InputReader reader, String... args) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc =
        PiiCli.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            reader);
    return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** {@code scan} (to {@code output}) or {@code eval} of {@code input}, patterns only (fast). */
  private static String[] patternsOnly(String command, Path input, Path output) {
    return command.equals("scan")
        ? new String[] {
          "scan", "--input", input.toString(), "--output", output.toString(), "--patterns-only"
        }
        : new String[] {"eval", "--input", input.toString(), "--split", "all", "--patterns-only"};
  }

  @Test
  void scanWritesOneEntryPerSampleWithReasonableRecall() throws Exception {
    assumeTrue(Files.isRegularFile(SMALL), "no labelled data at " + SMALL.toAbsolutePath());
    Path out = dir.resolve("spans.json");

    Run run = cli("scan", "--input", SMALL.toString(), "--output", out.toString());

    assertThat(run.rc()).as(run.err()).isZero();
    JsonNode result = new ObjectMapper().readTree(out.toFile());
    List<LabelledSample> samples = PiiDataset.read(SMALL, PiiDataset.Split.ALL);
    assertThat(result.size()).isEqualTo(samples.size());
    assertThat(result.get(0).get("spans").get(0).fieldNames())
        .toIterable()
        .contains("entity_type", "start", "end");
    SpanEvaluation eval = new SpanEvaluation(0.5);
    for (int i = 0; i < samples.size(); i++) {
      List<PiiSpan> predicted = new ArrayList<>();
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

    Run run = cli("eval", "--input", SMALL.toString(), "--split", "all");

    assertThat(run.rc()).as(run.err()).isZero();
    assertThat(run.out()).contains("precision", "recall", "f2", "PII (overall)", "CREDIT_CARD");
  }

  @Test
  void heldOutIsEvaluatedWithTheModelThatNeverSawIt() throws Exception {
    assumeTrue(Files.isRegularFile(SMALL), "no labelled data at " + SMALL.toAbsolutePath());

    Run run = cli("eval", "--input", SMALL.toString(), "--split", "heldout");

    assertThat(run.rc()).as(run.err()).isZero();
    assertThat(run.out()).contains("model train-split");
  }

  @Test
  void anUnknownModelIsAUsageErrorNamingIt() throws Exception {
    Run run = cli("eval", "--input", "x.json", "--model", "best");

    assertThat(run.rc()).isEqualTo(2);
    assertThat(run.err()).contains("unknown --model best");
  }

  @Test
  void aMisspeltOptionIsAUsageErrorInsteadOfRunningOnTheDefaults() throws Exception {
    Run run = cli("eval", "--input", "x.json", "--splt", "heldout");

    assertThat(run.rc()).isEqualTo(2);
    assertThat(run.err()).contains("eval: unknown option --splt").contains("usage:");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void anOptionOfTheOtherCommandIsAUsageError() throws Exception {
    Run run = cli("scan", "--input", "x.json", "--output", "y.json", "--split", "all");

    assertThat(run.rc()).isEqualTo(2);
    assertThat(run.err()).contains("scan: unknown option --split");
  }

  @Test
  void anOptionWithoutItsValueIsAUsageError() throws Exception {
    Run run = cli("eval", "--input", "x.json", "--iou");

    assertThat(run.rc()).isEqualTo(2);
    assertThat(run.err()).contains("--iou needs a value");
  }

  @Test
  void anEqualsSignedOptionIsReadLikeTheSpacedOne() throws Exception {
    Run run = cli("eval", "--input=x.json", "--model=best");

    assertThat(run.rc()).isEqualTo(2);
    assertThat(run.err()).contains("unknown --model best");
  }

  @Test
  void badInputFilesAreAnErrorNamingTheSampleAndWriteNothing() throws Exception {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("{oops", "not JSON");
    cases.put("", "expected a JSON array of samples, found nothing");
    cases.put("{\"full_text\":\"x\"}", "expected a JSON array of samples, found object");
    cases.put("[\"John Smith\"]", "[0] must be an object");
    cases.put("[{\"full_text\":\"a\"},{\"text\":\"John\"}]", "[1].full_text is missing");
    cases.put("[{\"full_text\":5}]", "[0].full_text must be a string");
    cases.put("[{\"full_text\":\"a\",\"spans\":{}}]", "[0].spans must be an array");
    int n = 0;
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Path in = dir.resolve("in" + n++ + ".json");
      Files.writeString(in, c.getKey());
      for (String command : List.of("scan", "eval")) {
        if (command.equals("scan") && c.getKey().contains("spans")) {
          continue; // scan reads only the texts
        }
        Path out = dir.resolve("out-" + n + ".json");

        Run run = cli(patternsOnly(command, in, out));

        assertThat(run.rc()).as(command + " " + c.getKey() + ": " + run.err()).isEqualTo(2);
        assertThat(run.err()).as(command + " " + c.getKey()).contains(in.toString(), c.getValue());
        assertThat(run.err()).doesNotContain("Exception", "\tat ");
        assertThat(out).as("no output for bad input").doesNotExist();
      }
    }

    Run missing = cli("eval", "--input", dir.resolve("nothere.json").toString());
    assertThat(missing.rc()).isEqualTo(2);
    assertThat(missing.err()).contains("nothere.json: no such file");

    Path samples = dir.resolve("ok.json");
    Files.writeString(samples, "[{\"full_text\":\"hello\"}]");
    Run unwritable = cli(patternsOnly("scan", samples, dir.resolve("no/such/dir/spans.json")));
    assertThat(unwritable.rc()).isEqualTo(1);
    assertThat(unwritable.err()).contains("cannot write", "spans.json").doesNotContain("\tat ");
  }

  @Test
  void aFileThatCannotBeReadIsAnInputErrorNotAWriteErrorOrAStackTrace() throws Exception {
    // a regular file whose read fails (EIO at offset 0): stands in for an unreadable input, which
    // permissions cannot give when the tests run as root
    Path unreadable = Path.of("/proc/self/mem");
    assumeTrue(Files.isRegularFile(unreadable), "no " + unreadable);
    for (String command : List.of("scan", "eval")) {
      Path out = dir.resolve(command + ".json");

      Run run = cli(patternsOnly(command, unreadable, out));

      assertThat(run.rc()).as(command + ": " + run.err()).isEqualTo(2);
      assertThat(run.err())
          .as(command)
          .contains("cannot read " + unreadable)
          .doesNotContain("cannot write", "\tat ");
      assertThat(out).as("no output for unreadable input").doesNotExist();
    }
  }

  @Test
  void evalSaysWhichLabelledSpansItCannotUseAndAnEmptyArrayIsFine() throws Exception {
    Path in = dir.resolve("oor.json");
    Files.writeString(
        in,
        "[{\"full_text\":\"Call John Smith\",\"spans\":["
            + "{\"entity_type\":\"PERSON\",\"start_position\":5,\"end_position\":15},"
            + "{\"entity_type\":\"PERSON\",\"start_position\":5,\"end_position\":500},"
            + "{\"entity_type\":\"NO_SUCH_TYPE\",\"start_position\":0,\"end_position\":500}]}]");

    Run run = cli(patternsOnly("eval", in, null));

    assertThat(run.rc()).as(run.err()).isZero();
    assertThat(run.err())
        .contains("1 labelled span(s) not evaluated", "[0].spans[1]", "15-character full_text");
    assertThat(run.out()).contains("PII (overall)");

    Path empty = dir.resolve("empty.json");
    Files.writeString(empty, "[]");
    Path spans = dir.resolve("spans.json");
    assertThat(cli(patternsOnly("scan", empty, spans)).rc()).isZero();
    assertThat(Files.readString(spans)).isEqualTo("[]");
  }

  @Test
  void aFileOfOnesOwnIsEvaluatedWholeByDefaultAndAnEmptySplitIsAnError() throws Exception {
    Path own = dir.resolve("own.json");
    // no template_id, as in a file of one's own: no sample is in the held-out split
    Files.writeString(
        own,
        "[{\"full_text\":\"Mail bob@example.com\",\"spans\":[{\"entity_type\":\"EMAIL_ADDRESS\","
            + "\"start_position\":5,\"end_position\":20}]},{\"full_text\":\"nothing here\"}]");

    Run byDefault = cli("eval", "--input", own.toString(), "--patterns-only");

    assertThat(byDefault.rc()).as(byDefault.err()).isZero();
    assertThat(byDefault.out())
        .startsWith("split=all (auto: new data")
        .containsPattern("EMAIL_ADDRESS +1.0000 +1.0000 +1.0000 +1 ");
    Run heldOut = cli("eval", "--input", own.toString(), "--split", "heldout", "--patterns-only");
    assertThat(heldOut.rc()).isEqualTo(2);
    assertThat(heldOut.err())
        .contains("none of its 2 samples is in the heldout split", "--split all");
    assertThat(heldOut.out()).doesNotContain("PII (overall)");
  }

  @Test
  void evalReadsAndParsesItsInputOnceWhateverTheSplit() throws Exception {
    Path own = dir.resolve("own.json");
    // no template_id: the held-out split is empty, which eval checks against the whole file
    Files.writeString(
        own,
        "[{\"full_text\":\"Mail bob@example.com\",\"spans\":[{\"entity_type\":\"EMAIL_ADDRESS\","
            + "\"start_position\":5,\"end_position\":99}]},{\"full_text\":\"nothing here\"}]");
    for (List<String> split : List.of(List.<String>of(), List.of("--split", "heldout"))) {
      List<String> args = new ArrayList<>(List.of("eval", "--input", own.toString()));
      args.addAll(split);
      args.add("--patterns-only");
      List<Path> reads = new ArrayList<>();

      Run run =
          cli(
              input -> {
                reads.add(input);
                return PiiDataset.readChecked(input);
              },
              args.toArray(String[]::new));

      assertThat(reads).as("reads of the input, %s", args).containsExactly(own);
      assertThat(run.rc()).as(run.err()).isEqualTo(split.isEmpty() ? 0 : 2);
      assertThat(run.out() + run.err())
          .as("auto split, the span it cannot use, or the empty split")
          .contains(split.isEmpty() ? "split=all (auto: new data" : "none of its 2 samples")
          .contains(split.isEmpty() ? "1 labelled span(s) not evaluated" : "heldout split");
    }
  }

  @Test
  void theTrainingFileIsEvaluatedOnItsHeldOutTemplatesByDefault() throws Exception {
    Path large = SMALL.resolveSibling("generated_large.json");
    assumeTrue(Files.isRegularFile(large), "no labelled data at " + large.toAbsolutePath());
    assumeTrue(!PiiModel.trainedTextHashes().isEmpty(), "built without training data");

    Run run = cli("eval", "--input", large.toString(), "--patterns-only");

    assertThat(run.rc()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("split=heldout (auto: 2109 of 2109 samples are texts");
    // a copy with new texts is new data: every sample, the shipped model
    Path fresh = dir.resolve("fresh.json");
    ArrayNode samples = (ArrayNode) new ObjectMapper().readTree(large.toFile());
    for (JsonNode s : samples) {
      ((ObjectNode) s).put("full_text", s.get("full_text").asText() + " ");
    }
    new ObjectMapper().writeValue(fresh.toFile(), samples);
    Run copy = cli("eval", "--input", fresh.toString(), "--patterns-only");
    assertThat(copy.rc()).as(copy.err()).isZero();
    assertThat(copy.out()).startsWith("split=all (auto: new data, every sample with the shipped");
  }

  @Test
  void aBadIouIsAUsageError() throws Exception {
    for (String iou : List.of("abc", "0", "1.5", "NaN")) {
      Run run = cli("eval", "--input", "x.json", "--iou", iou, "--patterns-only");
      assertThat(run.rc()).as(iou).isEqualTo(2);
      assertThat(run.err()).contains("--iou must be a number");
    }
  }

  @Test
  void missingArgumentsAreAUsageError() throws Exception {
    assertThat(cli("scan").rc()).isEqualTo(2);
  }
}
