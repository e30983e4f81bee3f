package dev.agentfactory.jobs.pii;

import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Words learned from labelled data as parts of names, places, organisations and job titles,
 * lower-cased, each with the types it was seen as. A word is kept only if it occurs inside spans of
 * a type at least as often as outside any span, so that {@code of} or {@code the} never become
 * evidence. The name finder sees membership as a feature; trained with a gazetteer built from
 * <em>other</em> folds of the data, it learns how far to trust it for words it has not seen.
 */
final class Gazetteer {

  /** The learned words, per model ({@link PiiModel#resource}). */
  static final String FILE = "ner-gazetteer.tsv";

  static final Set<EntityType> TYPES =
      EnumSet.of(EntityType.PERSON, EntityType.LOCATION, EntityType.ORGANIZATION, EntityType.TITLE);

  /** Word lists from Datafaker, written by the trainer next to the model. */
  static final String LISTS_RESOURCE = PiiModel.BASE + "ner-lists.tsv";

  /** The names of the word lists, in bit order of {@link #lists(String)}. */
  static final List<String> LIST_NAMES =
      List.of("first", "last", "city", "street", "country", "company", "common");

  static final Gazetteer EMPTY = new Gazetteer(Map.of(), Map.of(), 0, 0);

  private final Map<String, Set<EntityType>> words;
  private final Map<String, Integer> lists;
  private final int dropCount;
  private final int salt;

  private Gazetteer(
      Map<String, Set<EntityType>> words, Map<String, Integer> lists, int dropCount, int salt) {
    this.words = words;
    this.lists = lists;
    this.dropCount = dropCount;
    this.salt = salt;
  }

  /** This gazetteer with word lists: list name (one of {@link #LIST_NAMES}) to lower-case words. */
  Gazetteer withLists(Map<String, ? extends Set<String>> byList) {
    Map<String, Integer> masks = new HashMap<>();
    byList.forEach(
        (name, ws) -> {
          int bit = LIST_NAMES.indexOf(name);
          if (bit < 0) {
            throw new IllegalArgumentException("unknown word list " + name);
          }
          for (String w : ws) {
            masks.merge(w, 1 << bit, (a, b) -> a | b);
          }
        });
    return new Gazetteer(words, Map.copyOf(masks), 0, 0);
  }

  /**
   * For training on refilled samples whose values come from the lists: a view in which about {@code
   * dropCount} quarters of the listed words (chosen by {@code salt}) are missing, so that the model
   * does not learn to trust the lists more than they deserve on other data.
   */
  Gazetteer dropping(int dropCount, int salt) {
    return new Gazetteer(words, lists, dropCount, salt);
  }

  /** Bit mask of the lists ({@link #LIST_NAMES}) that contain {@code lowerCaseWord}. */
  int lists(String lowerCaseWord) {
    Integer m = lists.get(lowerCaseWord);
    if (m == null) {
      return 0;
    }
    if (dropCount > 0 && Math.floorMod(lowerCaseWord.hashCode() * 31 + salt, 4) < dropCount) {
      return 0;
    }
    return m;
  }

  int listSize() {
    return lists.size();
  }

  Set<EntityType> lookup(String lowerCaseWord) {
    Set<EntityType> t = words.get(lowerCaseWord);
    return t == null ? Set.of() : t;
  }

  int size() {
    return words.size();
  }

  static Gazetteer learn(List<LabelledSample> samples) {
    Map<String, Map<EntityType, Integer>> inside = new HashMap<>();
    Map<String, Integer> outside = new HashMap<>();
    for (LabelledSample s : samples) {
      Tokens tokens = Tokens.of(s.text());
      List<PiiSpan> gold = s.gold();
      for (int i = 0; i < tokens.size; i++) {
        String w = tokens.text[i];
        if (w.length() < 2 || !Character.isLetter(w.charAt(0))) {
          continue;
        }
        String lw = w.toLowerCase(Locale.ROOT);
        EntityType in = null;
        boolean anySpan = false;
        for (PiiSpan g : gold) {
          if (g.start() <= tokens.start[i] && tokens.end[i] <= g.end()) {
            anySpan = true;
            if (TYPES.contains(g.type())) {
              in = g.type();
            }
          }
        }
        if (in != null) {
          inside.computeIfAbsent(lw, k -> new HashMap<>()).merge(in, 1, Integer::sum);
        } else if (!anySpan) {
          outside.merge(lw, 1, Integer::sum);
        }
      }
    }
    Map<String, Set<EntityType>> words = new HashMap<>();
    inside.forEach(
        (w, byType) -> {
          int out = outside.getOrDefault(w, 0);
          Set<EntityType> types = EnumSet.noneOf(EntityType.class);
          byType.forEach(
              (t, n) -> {
                if (n >= out) {
                  types.add(t);
                }
              });
          if (!types.isEmpty()) {
            words.put(w, types);
          }
        });
    return new Gazetteer(words, Map.of(), 0, 0);
  }

  void writeLists(Writer out) throws IOException {
    for (var e : new java.util.TreeMap<>(lists).entrySet()) {
      for (int bit = 0; bit < LIST_NAMES.size(); bit++) {
        if ((e.getValue() & (1 << bit)) != 0) {
          out.write(LIST_NAMES.get(bit) + "\t" + e.getKey() + "\n");
        }
      }
    }
  }

  void write(Writer out) throws IOException {
    for (var e : new java.util.TreeMap<>(words).entrySet()) {
      for (EntityType t : e.getValue()) {
        out.write(t.name() + "\t" + e.getKey() + "\n");
      }
    }
  }

  /** The gazetteer the build wrote next to the shipped model, or {@link #EMPTY}. */
  static Gazetteer bundled() {
    return bundled(PiiModel.SHIPPED);
  }

  private static final Map<PiiModel, Gazetteer> BUNDLED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The gazetteer the build wrote next to {@code model}, with the shared word lists; read once per
   * class loader (the tagger and the company shapes share it).
   */
  static Gazetteer bundled(PiiModel model) {
    return BUNDLED.computeIfAbsent(model, Gazetteer::load);
  }

  private static Gazetteer load(PiiModel model) {
    String resource = model.resource(FILE);
    Map<String, Integer> lists = new HashMap<>();
    try (InputStream in = Gazetteer.class.getResourceAsStream(LISTS_RESOURCE)) {
      if (in != null) {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          int tab = line.indexOf('\t');
          int bit = tab > 0 ? LIST_NAMES.indexOf(line.substring(0, tab)) : -1;
          if (bit >= 0) {
            lists.merge(line.substring(tab + 1), 1 << bit, (a, b) -> a | b);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + LISTS_RESOURCE, e);
    }
    try (InputStream in = Gazetteer.class.getResourceAsStream(resource)) {
      if (in == null) {
        return new Gazetteer(Map.of(), Map.copyOf(lists), 0, 0);
      }
      Map<String, Set<EntityType>> words = new HashMap<>();
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        int tab = line.indexOf('\t');
        if (tab > 0) {
          words
              .computeIfAbsent(line.substring(tab + 1), k -> EnumSet.noneOf(EntityType.class))
              .add(EntityType.valueOf(line.substring(0, tab)));
        }
      }
      return new Gazetteer(words, Map.copyOf(lists), 0, 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }
}
