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

  static final String RESOURCE = "/dev/agentfactory/jobs/pii/ner-gazetteer.tsv";

  static final Set<EntityType> TYPES =
      EnumSet.of(EntityType.PERSON, EntityType.LOCATION, EntityType.ORGANIZATION, EntityType.TITLE);

  static final Gazetteer EMPTY = new Gazetteer(Map.of());

  private final Map<String, Set<EntityType>> words;

  private Gazetteer(Map<String, Set<EntityType>> words) {
    this.words = words;
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
    return new Gazetteer(words);
  }

  void write(Writer out) throws IOException {
    for (var e : new java.util.TreeMap<>(words).entrySet()) {
      for (EntityType t : e.getValue()) {
        out.write(t.name() + "\t" + e.getKey() + "\n");
      }
    }
  }

  /** The gazetteer the build wrote next to the model, or {@link #EMPTY}. */
  static Gazetteer bundled() {
    try (InputStream in = Gazetteer.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        return EMPTY;
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
      return new Gazetteer(words);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}
