package dev.agentfactory.jobs.pii;

/**
 * Which of the two trained models a scanner loads. The build ({@link NameFinderTrainer}) trains the
 * tagger, gazetteer and phrase list twice from {@code ../shared/data/pii}:
 *
 * <ul>
 *   <li>{@link #SHIPPED} on every labelled sample, held-out templates included: more sentence
 *       shapes and values make a better scrubber, and this is what {@link PiiScanner#create()}, the
 *       pipeline and {@code pii scan} use;
 *   <li>{@link #TRAIN_SPLIT} on the training split only ({@link PiiDataset.Split#TRAIN}): the twin
 *       that {@code pii eval --split heldout} and the benchmark's quality figures use, so that the
 *       held-out templates stay unseen by the model being measured.
 * </ul>
 *
 * Both are trained with the same code and parameters; the held-out figure is therefore an estimate
 * for the shipped model on new templates (a slightly pessimistic one: the shipped model has seen a
 * fifth more templates). The Datafaker word lists do not depend on the data and are shared.
 */
public enum PiiModel {
  SHIPPED(""),
  TRAIN_SPLIT("train-split/");

  static final String BASE = "/dev/agentfactory/jobs/pii/";

  private final String dir;

  PiiModel(String dir) {
    this.dir = dir;
  }

  /** The class-path resource of {@code file} ({@code ner-tagger.bin}, …) of this model. */
  String resource(String file) {
    return BASE + dir + file;
  }

  /** The model to evaluate {@code split} with: the twin for held-out data, else the shipped one. */
  public static PiiModel forEvaluation(PiiDataset.Split split) {
    return split == PiiDataset.Split.HELDOUT ? TRAIN_SPLIT : SHIPPED;
  }
}
