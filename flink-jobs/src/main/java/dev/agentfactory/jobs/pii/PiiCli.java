package dev.agentfactory.jobs.pii;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.agentfactory.jobs.cli.CliArgs;
import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The scrubber from the command line.
 *
 * <pre>{@code
 * PiiCli scan --input samples.json --output spans.json [--model shipped|train-split|tool-output]
 * PiiCli eval --input FILE [--split auto|heldout|validation|train|all] [--iou 0.5]
 *             [--model shipped|train-split|tool-output] [--patterns-only]
 * }</pre>
 *
 * {@code scan} reads a JSON array of objects with a {@code full_text} field and writes a JSON array
 * with one {@code {"spans":[{"entity_type","start","end"}]}} per sample, in input order. {@code
 * eval} also reads the labels and prints span-level precision, recall and F2 per entity type
 * ({@link SpanEvaluation}); {@code --split heldout} evaluates only the held-out templates, with the
 * model twin trained without them ({@link PiiModel#TRAIN_SPLIT}); the other splits use the shipped
 * model, which has seen every labelled template. The default, {@code auto}, is {@code heldout} for
 * the training file itself (most of its texts are ones the shipped model learnt from) and {@code
 * all} for any other file: new data is measured as the pipeline would scrub it.
 */
public final class PiiCli {

  private PiiCli() {}

  /** The options each command reads; anything else is a usage error. */
  private static final Map<String, Set<String>> OPTIONS =
      Map.of(
          "scan", Set.of("--input", "--output", "--model"),
          "eval", Set.of("--input", "--split", "--iou", "--model"));

  private static final Set<String> FLAGS = Set.of("--patterns-only");

  /**
   * The default split: {@code heldout} when most samples are texts the shipped model was trained on
   * (its own training file), else {@code all}.
   */
  private static final String AUTO = "auto";

  public static void main(String[] args) throws IOException {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
    return run(args, out, err, PiiDataset::readChecked);
  }

  /** How {@code eval} reads its input: {@link PiiDataset#readChecked}, or a test's wrapper. */
  @FunctionalInterface
  interface InputReader {
    List<PiiDataset.CheckedSample> read(Path input) throws IOException;
  }

  /**
   * As {@link #run(String[], PrintStream, PrintStream)}, reading {@code eval}'s input with {@code
   * reader}.
   */
  static int run(String[] args, PrintStream out, PrintStream err, InputReader reader)
      throws IOException {
    if (args.length == 0) {
      return usage(err, "no command");
    }
    Set<String> known = OPTIONS.get(args[0]);
    if (known == null) {
      return usage(err, "unknown command " + args[0]);
    }
    CliArgs opts;
    try {
      // a misspelt option (--splt) must not run on the defaults as if it were not there
      opts = CliArgs.parse(Arrays.copyOfRange(args, 1, args.length), known, FLAGS, 0);
    } catch (CliArgs.UsageException e) {
      return usage(err, args[0] + ": " + e.getMessage());
    }
    if (!opts.has("--input")) {
      return usage(err, "--input is required");
    }
    Path input = Path.of(opts.stringValue("--input", null));
    String splitName = opts.stringValue("--split", AUTO);
    PiiDataset.Split split = null;
    if (!splitName.equals(AUTO)) {
      try {
        split = PiiDataset.Split.valueOf(splitName.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        return usage(
            err, "unknown --split " + splitName + " (auto, heldout, validation, train, all)");
      }
    }
    String modelName = opts.stringValue("--model", null);
    PiiModel chosenModel = null;
    if (modelName != null) {
      try {
        chosenModel = PiiModel.named(modelName);
      } catch (IllegalArgumentException e) {
        return usage(err, "unknown --model " + modelName + " (shipped, train-split, tool-output)");
      }
    }
    boolean patternsOnly = opts.has("--patterns-only");
    switch (args[0]) {
      case "scan" -> {
        if (!opts.has("--output")) {
          return usage(err, "scan needs --output");
        }
        Path output = Path.of(opts.stringValue("--output", null));
        List<String> texts;
        try {
          texts = PiiDataset.readTexts(input);
        } catch (IOException e) {
          return inputError(err, input, e);
        }
        try {
          PiiModel model = chosenModel != null ? chosenModel : PiiModel.SHIPPED;
          scan(patternsOnly ? PiiScanner.patternsOnly() : PiiScanner.create(model), texts, output);
        } catch (IOException e) {
          err.println("pii: cannot write " + output + ": " + e.getMessage());
          return 1;
        }
        return 0;
      }
      case "eval" -> {
        String iouText = opts.stringValue("--iou", "0.5");
        double iou;
        try {
          iou = Double.parseDouble(iouText);
        } catch (NumberFormatException e) {
          iou = Double.NaN;
        }
        if (!(iou > 0 && iou <= 1)) {
          return usage(err, "--iou must be a number above 0 and at most 1, not " + iouText);
        }
        // read and parsed once: the auto split, the samples and the count all come from this
        List<PiiDataset.CheckedSample> checked;
        try {
          checked = reader.read(input);
        } catch (IOException e) {
          return inputError(err, input, e);
        }
        String why = "";
        if (split == null) {
          // auto: the held-out templates of the training file, else every sample of new data
          Set<String> trained = PiiModel.trainedTextHashes();
          long seen =
              checked.stream()
                  .filter(c -> trained.contains(PiiModel.textHash(c.sample().text())))
                  .count();
          if (seen * 2 > checked.size()) {
            split = PiiDataset.Split.HELDOUT;
            why =
                String.format(
                    Locale.ROOT,
                    " (auto: %d of %d samples are texts the shipped model was trained on, so"
                        + " this is its training file: only held-out templates, with the twin"
                        + " model that never saw them)",
                    seen,
                    checked.size());
          } else {
            split = PiiDataset.Split.ALL;
            why =
                String.format(
                    Locale.ROOT,
                    " (auto: new data, every sample with the shipped model; %d of %d are texts"
                        + " it was trained on)",
                    seen,
                    checked.size());
          }
        }
        List<String> skipped = new ArrayList<>();
        List<LabelledSample> samples = PiiDataset.inSplit(checked, split, skipped::add);
        if (samples.isEmpty() && split != PiiDataset.Split.ALL && !checked.isEmpty()) {
          // a table of zeros would read as a scrubber that found nothing
          err.println(
              "pii: "
                  + input
                  + ": none of its "
                  + checked.size()
                  + " samples is in the "
                  + split.name().toLowerCase(Locale.ROOT)
                  + " split, which is chosen by template_id (docs/pii.md); --split all"
                  + " evaluates every sample");
          return 2;
        }
        if (!skipped.isEmpty()) {
          err.println(
              "pii: warning: "
                  + input
                  + ": "
                  + skipped.size()
                  + " labelled span(s) not evaluated, e.g. "
                  + skipped.get(0));
        }
        // scan uses what ships; eval of held-out templates the twin that never saw them
        PiiModel model = chosenModel != null ? chosenModel : PiiModel.forEvaluation(split);
        // the model is loaded only once the input has been read: bad input answers at once
        PiiScanner evaluated = patternsOnly ? PiiScanner.patternsOnly() : PiiScanner.create(model);
        SpanEvaluation eval = evaluate(evaluated, samples, iou);
        out.printf(
            Locale.ROOT,
            "split=%s%s iou>=%.2f name-finder=%s%n%s",
            split.name().toLowerCase(Locale.ROOT),
            why,
            iou,
            evaluated.hasNameFinder()
                ? "yes, model " + model.name().toLowerCase(Locale.ROOT).replace('_', '-')
                : "no (patterns only)",
            eval.table());
        return 0;
      }
      default -> {
        return usage(err, "unknown command " + args[0]);
      }
    }
  }

  /** Scans every sample's {@code full_text} and writes the spans, one entry per sample. */
  static void scan(PiiScanner scanner, List<String> texts, Path output) throws IOException {
    try (JsonGenerator json =
        new JsonFactory().createGenerator(output.toFile(), JsonEncoding.UTF8)) {
      json.writeStartArray();
      for (String text : texts) {
        json.writeStartObject();
        json.writeArrayFieldStart("spans");
        for (PiiSpan s : scanner.scan(text)) {
          json.writeStartObject();
          json.writeStringField("entity_type", s.type().name());
          json.writeNumberField("start", s.start());
          json.writeNumberField("end", s.end());
          json.writeNumberField("score", Math.round(s.score() * 1000) / 1000.0);
          json.writeEndObject();
        }
        json.writeEndArray();
        json.writeEndObject();
      }
      json.writeEndArray();
    }
  }

  static SpanEvaluation evaluate(PiiScanner scanner, List<LabelledSample> samples, double iou) {
    SpanEvaluation eval = new SpanEvaluation(iou);
    for (LabelledSample s : samples) {
      eval.add(s.text(), s.gold(), scanner.scan(s.text()));
    }
    return eval;
  }

  /**
   * A file that cannot be read as samples: what is wrong with it (an {@link
   * PiiDataset.InvalidInputException} names the file itself; another read error is named here), and
   * no output.
   */
  private static int inputError(PrintStream err, Path input, IOException e) {
    err.println(
        e instanceof PiiDataset.InvalidInputException
            ? "pii: " + e.getMessage()
            : "pii: cannot read " + input + ": " + e);
    return 2;
  }

  private static int usage(PrintStream err, String problem) {
    err.println("pii: " + problem);
    err.println(
        "usage: pii scan --input FILE --output FILE [--model shipped|train-split|tool-output]"
            + " [--patterns-only]");
    err.println(
        "       pii eval --input FILE [--split auto|heldout|validation|train|all] [--iou 0.5]"
            + " [--model shipped|train-split|tool-output] [--patterns-only]");
    return 2;
  }
}
