package dev.agentfactory.jobs.pii;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Labelled samples in presidio-research's format: a JSON array of {@code {"full_text": ...,
 * "spans": [{"entity_type", "start_position", "end_position"}], "template_id": ...}}, and the
 * deterministic split of it into training and held-out data.
 *
 * <p>The split is by {@code template_id}, not by sample: samples of one template share their
 * wording, so a random sample split would leak templates into the evaluation and overstate quality.
 * A template is held out when a fixed hash of its id falls in the lowest {@value #HELD_OUT_PERCENT}
 * percent.
 */
public final class PiiDataset {

  /** Roughly this share of templates is held out for evaluation. */
  public static final int HELD_OUT_PERCENT = 20;

  /** Which part of a data file to use. */
  public enum Split {
    TRAIN,
    HELDOUT,
    /**
     * About a fifth of the training templates ({@link #isValidation}): for decisions and
     * thresholds, with a model trained without them ({@code -Dpii.train.validation=true}).
     */
    VALIDATION,
    ALL;

    boolean includes(LabelledSample sample) {
      return switch (this) {
        case ALL -> true;
        case HELDOUT -> sample.heldOut();
        case TRAIN -> !sample.heldOut();
        case VALIDATION -> isValidation(sample.templateId());
      };
    }
  }

  /**
   * One sample.
   *
   * @param text the text
   * @param gold the labelled spans (types this library does not know are dropped)
   * @param templateId the template it was generated from, -1 if none
   */
  public record LabelledSample(String text, List<PiiSpan> gold, int templateId) {

    public LabelledSample {
      gold = List.copyOf(gold);
    }

    public boolean heldOut() {
      return isHeldOut(templateId);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private PiiDataset() {}

  /** True when the template belongs to the held-out evaluation split. */
  public static boolean isHeldOut(int templateId) {
    return Math.floorMod(mix(templateId + 0x9E3779B97F4A7C15L), 100) < HELD_OUT_PERCENT;
  }

  /**
   * True when the template is a training template set aside for validation (about 20% of them):
   * decisions are taken on it, with a model trained on the other training templates, so that the
   * held-out split stays unseen.
   */
  public static boolean isValidation(int templateId) {
    return !isHeldOut(templateId) && Math.floorMod(mix(templateId + 0x5851F42D4C957F2DL), 100) < 20;
  }

  // splitmix64 finaliser: a fixed, well-mixed hash that does not depend on the JDK
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * Input that is not a data file of this format; the message names the file and the sample and
   * field at fault (e.g. {@code [3].full_text}).
   */
  public static final class InvalidInputException extends IOException {
    public InvalidInputException(String message) {
      super(message);
    }
  }

  /** Reads the samples of {@code file} that fall in {@code split}. */
  public static List<LabelledSample> read(Path file, Split split) throws IOException {
    JsonNode root = JSON.readTree(file.toFile());
    if (!root.isArray()) {
      throw new IOException(file + ": expected a JSON array of samples");
    }
    List<LabelledSample> samples = new ArrayList<>(root.size());
    for (JsonNode node : root) {
      LabelledSample sample = parse(node, -1, null);
      if (split.includes(sample)) {
        samples.add(sample);
      }
    }
    return samples;
  }

  /**
   * A sample of a file a person gave on the command line, with the labelled spans left out of it
   * because their offsets are missing or outside its text (described, e.g. {@code [3].spans[0]:
   * ...}).
   */
  public record CheckedSample(LabelledSample sample, List<String> skippedSpans) {
    public CheckedSample {
      skippedSpans = List.copyOf(skippedSpans);
    }
  }

  /**
   * Every sample of a file a person gave on the command line, read and parsed once (a caller that
   * needs the texts, a split and the count takes them all from this): a file that is not JSON, not
   * an array, or has a sample that is not an object with a string {@code full_text} or whose {@code
   * spans} is not an array is an {@link InvalidInputException} naming the first such sample.
   */
  public static List<CheckedSample> readChecked(Path file) throws IOException {
    JsonNode root = readArray(file);
    List<CheckedSample> samples = new ArrayList<>(root.size());
    for (int i = 0; i < root.size(); i++) {
      JsonNode node = root.get(i);
      checkedText(file, node, i);
      JsonNode spans = node.path("spans");
      if (!spans.isMissingNode() && !spans.isNull() && !spans.isArray()) {
        throw new InvalidInputException(file + ": [" + i + "].spans must be an array");
      }
      List<String> dropped = new ArrayList<>();
      samples.add(new CheckedSample(parse(node, i, dropped::add), dropped));
    }
    return samples;
  }

  /**
   * The samples of {@code checked} in {@code split}, as {@link #read} would give them; the spans
   * left out of those samples go to {@code skipped}.
   */
  public static List<LabelledSample> inSplit(
      List<CheckedSample> checked, Split split, java.util.function.Consumer<String> skipped) {
    List<LabelledSample> samples = new ArrayList<>(checked.size());
    for (CheckedSample c : checked) {
      if (split.includes(c.sample())) {
        c.skippedSpans().forEach(skipped);
        samples.add(c.sample());
      }
    }
    return samples;
  }

  /**
   * The {@code full_text} of every sample in {@code file}, in order; a file that is not a JSON
   * array of objects with a string {@code full_text} is an {@link InvalidInputException}.
   */
  public static List<String> readTexts(Path file) throws IOException {
    JsonNode root = readArray(file);
    List<String> texts = new ArrayList<>(root.size());
    for (int i = 0; i < root.size(); i++) {
      texts.add(checkedText(file, root.get(i), i));
    }
    return texts;
  }

  private static JsonNode readArray(Path file) throws IOException {
    if (!java.nio.file.Files.isRegularFile(file)) {
      throw new InvalidInputException(
          file + (java.nio.file.Files.exists(file) ? ": not a regular file" : ": no such file"));
    }
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
      throw new InvalidInputException(
          file
              + ": not JSON: "
              + e.getOriginalMessage()
              + (at == null
                  ? ""
                  : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
    }
    if (root == null || !root.isArray()) {
      throw new InvalidInputException(
          file
              + ": expected a JSON array of samples, found "
              + (root == null || root.isMissingNode()
                  ? "nothing"
                  : root.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
    }
    return root;
  }

  private static String checkedText(Path file, JsonNode node, int i) throws IOException {
    if (!node.isObject()) {
      throw new InvalidInputException(
          file + ": [" + i + "] must be an object with a full_text string");
    }
    JsonNode text = node.get("full_text");
    if (text == null || !text.isTextual()) {
      throw new InvalidInputException(
          file
              + ": ["
              + i
              + "].full_text "
              + (text == null ? "is missing" : "must be a string, not " + text.getNodeType())
              + "");
    }
    return text.asText();
  }

  /**
   * One sample. A labelled span of an unknown type is left out on purpose (presidio labels types
   * this library does not detect); one whose offsets are missing or outside the text is left out
   * and, if {@code dropped} is given, described to it (sample {@code i}).
   */
  private static LabelledSample parse(
      JsonNode node, int i, java.util.function.Consumer<String> dropped) {
    String text = node.path("full_text").asText("");
    List<PiiSpan> gold = new ArrayList<>();
    JsonNode spans = node.path("spans");
    for (int j = 0; spans.isArray() && j < spans.size(); j++) {
      JsonNode span = spans.get(j);
      EntityType type;
      try {
        type = EntityType.parse(span.path("entity_type").asText());
      } catch (IllegalArgumentException unknown) {
        continue;
      }
      int start = span.path("start_position").asInt();
      int end = span.path("end_position").asInt();
      if (start >= 0 && end > start && end <= text.length()) {
        gold.add(new PiiSpan(type, start, end, 1.0));
      } else if (dropped != null) {
        dropped.accept(
            "["
                + i
                + "].spans["
                + j
                + "]: start_position "
                + span.path("start_position")
                + ", end_position "
                + span.path("end_position")
                + " is not a span of the "
                + text.length()
                + "-character full_text");
      }
    }
    gold.sort(java.util.Comparator.comparingInt(PiiSpan::start));
    return new LabelledSample(text, gold, node.path("template_id").asInt(-1));
  }
}
