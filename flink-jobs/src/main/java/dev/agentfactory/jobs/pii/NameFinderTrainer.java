package dev.agentfactory.jobs.pii;

import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import opennlp.tools.ml.BeamSearch;
import opennlp.tools.namefind.BioCodec;
import opennlp.tools.namefind.NameFinderME;
import opennlp.tools.namefind.NameSample;
import opennlp.tools.namefind.TokenNameFinderFactory;
import opennlp.tools.namefind.TokenNameFinderModel;
import opennlp.tools.util.ObjectStreamUtils;
import opennlp.tools.util.Span;
import opennlp.tools.util.TrainingParameters;

/**
 * Trains the PII name finder on the training split of the labelled data and writes it where {@link
 * NameFinderDetector} loads it from. The build runs it at {@code process-classes}:
 *
 * <pre>{@code
 * java -cp ... dev.agentfactory.jobs.pii.NameFinderTrainer ../shared/data/pii target/classes
 * }</pre>
 *
 * <p>It prints to the console (it runs inside Maven, where slf4j has no binding). Without data it
 * warns and writes nothing: the scrubber then runs on patterns alone. With a model newer than the
 * data and of the current {@link #VERSION}, it does nothing.
 */
public final class NameFinderTrainer {

  /** Bump to retrain when features or parameters change. */
  static final String VERSION = "ner-pii-11";

  static final String DATA_FILE = "generated_large.json";

  private static final int FOLDS = 5;

  private NameFinderTrainer() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: NameFinderTrainer <data dir> <classes dir>");
      System.exit(2);
    }
    Path data = Path.of(args[0]).resolve(DATA_FILE);
    Path model = Path.of(args[1]).resolve(NameFinderDetector.MODEL_RESOURCE.substring(1));
    Path stamp = model.resolveSibling(model.getFileName() + ".version");
    if (!Files.isRegularFile(data)) {
      System.err.println(
          "[WARNING] PII training data "
              + data.toAbsolutePath().normalize()
              + " not found: no name finder is built; the scrubber will detect PERSON, LOCATION,"
              + " ORGANIZATION, ADDRESS and TITLE by patterns only");
      return;
    }
    if (Files.isRegularFile(model)
        && Files.isRegularFile(stamp)
        && version(Boolean.getBoolean("pii.train.validation"))
            .equals(Files.readString(stamp).trim())
        && Files.getLastModifiedTime(model).compareTo(Files.getLastModifiedTime(data)) > 0) {
      System.out.println("[INFO] PII name finder is up to date: " + model);
      return;
    }
    long t0 = System.nanoTime();
    boolean validation = Boolean.getBoolean("pii.train.validation");
    List<LabelledSample> train = new ArrayList<>();
    for (LabelledSample s : PiiDataset.read(data, PiiDataset.Split.TRAIN)) {
      if (!validation || !PiiDataset.isValidation(s.templateId())) {
        train.add(s);
      }
    }
    int originals = train.size();
    Augmenter augmenter = Augmenter.read(data, validation);
    FakerValues faker = new FakerValues(42L);
    Map<String, Set<String>> lists = faker.wordLists(Integer.getInteger("pii.train.draws", 1500));
    train.addAll(
        augmenter.generate(
            Integer.getInteger("pii.train.copies", 0),
            Double.parseDouble(System.getProperty("pii.train.lowercase", "0.15")),
            42L,
            faker,
            Double.parseDouble(System.getProperty("pii.train.fresh", "0.8"))));
    TokenNameFinderModel trained = train(train, originals, lists);
    Files.createDirectories(model.getParent());
    Gazetteer gazetteer = Gazetteer.learn(train.subList(0, originals)).withLists(lists);
    try (var out = Files.newBufferedWriter(model.resolveSibling("ner-gazetteer.tsv"))) {
      gazetteer.write(out);
    }
    try (var out = Files.newBufferedWriter(model.resolveSibling("ner-lists.tsv"))) {
      gazetteer.writeLists(out);
    }
    Set<String> places = new TreeSet<>(Augmenter.cities());
    places.addAll(faker.countries(2000));
    try (var out = Files.newBufferedWriter(model.resolveSibling("ner-phrases.tsv"))) {
      PhraseDetector.write(PhraseDetector.learn(train.subList(0, originals), places), out);
    }
    try (OutputStream out = Files.newOutputStream(model)) {
      trained.serialize(out);
    }
    Files.writeString(stamp, version(validation) + "\n");
    System.out.printf(
        "[INFO] Trained the PII name finder on %d samples (train split%s) + %d refilled from %d"
            + " templates (Datafaker lists %s) in %d ms: %s%n",
        originals,
        validation ? " without validation templates" : "",
        train.size() - originals,
        augmenter.templateCount(),
        FakerValues.sizes(lists),
        (System.nanoTime() - t0) / 1_000_000,
        model);
  }

  private static String version(boolean validation) {
    return VERSION + (validation ? "-validation" : "");
  }

  /** Trains a model on {@code samples}, all of them originals (no refilled samples). */
  static TokenNameFinderModel train(List<LabelledSample> samples) throws IOException {
    return train(samples, samples.size(), Map.of());
  }

  /**
   * Trains a model on {@code samples}: the first {@code originals} from the data, the rest refilled
   * with (partly) Datafaker values. Each sample's gazetteer features come from a gazetteer of the
   * other folds (by template) of the originals, so that the model sees, as it will at run time,
   * names that the gazetteer does not know; refilled samples see the word lists with a share of
   * words missing ({@link Gazetteer#dropping}), since their values come from those lists.
   */
  static TokenNameFinderModel train(
      List<LabelledSample> samples, int originals, Map<String, Set<String>> lists)
      throws IOException {
    List<NameSample> names = new ArrayList<>(samples.size());
    int drop = Integer.getInteger("pii.train.listdrop", 2);
    for (int fold = 0; fold < FOLDS; fold++) {
      List<LabelledSample> others = new ArrayList<>();
      for (LabelledSample s : samples.subList(0, originals)) {
        if (fold(s) != fold) {
          others.add(s);
        }
      }
      Gazetteer gazetteer = Gazetteer.learn(others).withLists(lists);
      for (int i = 0; i < samples.size(); i++) {
        LabelledSample s = samples.get(i);
        if (fold(s) == fold) {
          names.add(toNameSample(s, i < originals ? gazetteer : gazetteer.dropping(drop, i)));
        }
      }
    }
    TrainingParameters params = TrainingParameters.defaultParams();
    params.put(
        TrainingParameters.ITERATIONS_PARAM, Integer.getInteger("pii.train.iterations", 150));
    params.put(TrainingParameters.CUTOFF_PARAM, Integer.getInteger("pii.train.cutoff", 4));
    params.put(TrainingParameters.THREADS_PARAM, 2);
    // Greedy decoding (beam 1) is ~3x faster than OpenNLP's default beam of 3 at about equal F2
    params.put(BeamSearch.BEAM_SIZE_PARAMETER, Integer.getInteger("pii.train.beam", 1));
    byte[] features;
    try (InputStream in = NameFinderTrainer.class.getResourceAsStream("ner-features.xml")) {
      if (in == null) {
        throw new IOException("ner-features.xml missing from the classpath");
      }
      features = in.readAllBytes();
    }
    TokenNameFinderFactory factory =
        TokenNameFinderFactory.create(null, features, Map.of(), new BioCodec());
    return NameFinderME.train(
        "en", null, ObjectStreamUtils.createObjectStream(names), params, factory);
  }

  /**
   * The sample in OpenNLP's terms: tokens and token spans of the name-finder types, e.g. {@code
   * <START:PERSON> Jane Doe <END> lives at <START:ADDRESS> 5 Main Street <END>}. Adjacent spans of
   * one type are merged first, as the evaluation does.
   */
  private static int fold(LabelledSample s) {
    return Math.floorMod(Integer.hashCode(s.templateId() * 0x9E3779B1), FOLDS);
  }

  static NameSample toNameSample(LabelledSample sample, Gazetteer gazetteer) {
    Tokens tokens = Tokens.of(sample.text());
    List<Span> spans = new ArrayList<>();
    int lastEnd = -1;
    for (PiiSpan g : SpanEvaluation.normalise(sample.text(), sample.gold())) {
      if (!NameFinderDetector.TYPES.contains(g.type())) {
        continue;
      }
      int first = tokens.firstEndingAfter(g.start());
      int last = first;
      while (last < tokens.size && tokens.start[last] < g.end()) {
        last++;
      }
      if (last > first && first >= lastEnd) {
        spans.add(new Span(first, last, g.type().name()));
        lastEnd = last;
      }
    }
    return new NameSample(
        tokens.words(), spans.toArray(new Span[0]), NameFeatures.of(tokens, gazetteer), true);
  }
}
