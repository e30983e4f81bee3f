package dev.agentfactory.jobs.pii;

/**
 * Which of the trained models a scanner loads. The build ({@link NameFinderTrainer}) trains the
 * tagger, gazetteer and phrase list three times from {@code ../shared/data/pii}:
 *
 * <ul>
 *   <li>{@link #SHIPPED} on every labelled sample, held-out templates included: more sentence
 *       shapes and values make a better scrubber, and this is what {@link PiiScanner#create()}, the
 *       pipeline and {@code pii scan} use;
 *   <li>{@link #TRAIN_SPLIT} on the training split only ({@link PiiDataset.Split#TRAIN}): the twin
 *       that {@code pii eval --split heldout} and the benchmark's quality figures use, so that the
 *       held-out templates stay unseen by the model being measured;
 *   <li>{@link #TOOL_OUTPUT} like the shipped one plus {@value #TOOL_OUTPUT_TRACES} synthetic
 *       tool-output texts per bag ({@link TraceText}: command output, logs, stack traces, code,
 *       JSON, all tokens outside any entity), for the pipeline's tool-call outputs: it marks far
 *       fewer words of such text as names (docs/pii.md, 2026-11-29 10:30 and 11:40 entries) at a
 *       small cost in recall on prose, which is why messages keep the shipped model.
 * </ul>
 *
 * The shipped model and its twin are trained with the same code and parameters; the held-out figure
 * is therefore an estimate for the shipped model on new templates (a slightly pessimistic one: the
 * shipped model has seen a fifth more templates). The Datafaker word lists do not depend on the
 * data and are shared.
 */
public enum PiiModel {
  SHIPPED(""),
  TRAIN_SPLIT("train-split/"),
  TOOL_OUTPUT("tool-output/");

  /**
   * Synthetic tool-output texts per bag that {@link #TOOL_OUTPUT} learns from (cross-validated).
   */
  static final int TOOL_OUTPUT_TRACES = 100;

  static final String BASE = "/dev/agentfactory/jobs/pii/";

  /**
   * The class-path resource listing a hash of every text the shipped model was trained on ({@link
   * #textHash}, one per line), so that {@code pii eval} can tell its training file from new data.
   */
  static final String TRAINED_TEXTS = BASE + "ner-trained-texts.txt";

  private final String dir;

  PiiModel(String dir) {
    this.dir = dir;
  }

  /**
   * The model a command line names: {@code shipped}, {@code train-split}, {@code tool-output}, in
   * any case.
   *
   * @throws IllegalArgumentException for any other name
   */
  public static PiiModel named(String name) {
    return valueOf(name.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
  }

  /** The class-path resource of {@code file} ({@code ner-tagger.bin}, …) of this model. */
  String resource(String file) {
    return BASE + dir + file;
  }

  /** The model to evaluate {@code split} with: the twin for held-out data, else the shipped one. */
  public static PiiModel forEvaluation(PiiDataset.Split split) {
    return split == PiiDataset.Split.HELDOUT ? TRAIN_SPLIT : SHIPPED;
  }

  /** A stable 64-bit hash of {@code text} (the first 8 bytes of its UTF-8 SHA-256), as hex. */
  static String textHash(String text) {
    try {
      byte[] sha =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(sha, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * The hashes ({@link #textHash}) of the texts the shipped model was trained on; empty when the
   * build had no training data (the scrubber then runs on patterns alone).
   */
  static java.util.Set<String> trainedTextHashes() throws java.io.IOException {
    try (java.io.InputStream in = PiiModel.class.getResourceAsStream(TRAINED_TEXTS)) {
      if (in == null) {
        return java.util.Set.of();
      }
      java.util.Set<String> hashes = new java.util.HashSet<>();
      for (String line :
          new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank()) {
          hashes.add(line.strip());
        }
      }
      return hashes;
    }
  }
}
