package dev.agentfactory.jobs.pii;

import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Direct matches of whole place and organisation names, in any case: every country name the JDK
 * knows, plus the complete LOCATION and ORGANIZATION values of the training split (written by
 * {@link NameFinderTrainer} to {@value #FILE} beside the model). The name finder misses many of
 * them in unseen sentence shapes (a city line of a signature, {@code burkina faso} in lower case).
 * A single-word value is kept only if, in the training text, it occurs inside such spans at least
 * as often as outside them, so that {@code the} or {@code group} never become places.
 *
 * <p>Matches score {@value #SCORE} (several words) or {@value #SINGLE_SCORE} (one word): the name
 * finder's confident spans and validated patterns win an overlap.
 */
final class PhraseDetector implements Detector {

  static final String FILE = "ner-phrases.tsv";

  static final double SCORE = 0.8;
  static final double SINGLE_SCORE = 0.6;

  private static final int MAX_WORDS = 6;

  private final Map<String, EntityType> phrases;
  private final Set<String> firstWords = new HashSet<>();

  PhraseDetector(Map<String, EntityType> phrases) {
    this.phrases = Map.copyOf(phrases);
    for (String p : this.phrases.keySet()) {
      int sp = p.indexOf(' ');
      firstWords.add(sp < 0 ? p : p.substring(0, sp));
    }
  }

  /** The type of {@code phrase} as a whole, in any case; {@code null} if it is not a phrase. */
  EntityType typeOf(String phrase) {
    return phrases.get(key(phrase));
  }

  int size() {
    return phrases.size();
  }

  @Override
  public void detect(ScanText text, List<PiiSpan> out) {
    Tokens tokens = text.tokens();
    String[] lower = new String[tokens.size];
    for (int i = 0; i < tokens.size; i++) {
      lower[i] = tokens.text[i].toLowerCase(Locale.ROOT);
    }
    StringBuilder key = new StringBuilder();
    int i = 0;
    while (i < tokens.size) {
      if (!firstWords.contains(lower[i])) {
        i++;
        continue;
      }
      int best = -1;
      EntityType bestType = null;
      key.setLength(0);
      for (int j = i; j < tokens.size && j < i + MAX_WORDS; j++) {
        if (j > i) {
          // phrases are stored with single spaces between tokens, punctuation as its own token
          key.append(' ');
        }
        key.append(lower[j]);
        EntityType t = phrases.get(key.toString());
        if (t != null) {
          best = j;
          bestType = t;
        }
      }
      if (best < 0) {
        i++;
        continue;
      }
      double score = best > i ? SCORE : SINGLE_SCORE;
      out.add(new PiiSpan(bestType, tokens.start[i], tokens.end[best], score));
      i = best + 1;
    }
  }

  /** Lower-case, single-space-joined tokens of {@code s}. */
  static String key(String s) {
    Tokens t = Tokens.of(s);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < t.size; i++) {
      if (t.text[i].equals(Tokens.NEWLINE)) {
        continue;
      }
      if (b.length() > 0) {
        b.append(' ');
      }
      b.append(t.text[i].toLowerCase(Locale.ROOT));
    }
    return b.toString();
  }

  /** Learns the phrases of the training split: whole LOCATION and ORGANIZATION values. */
  static Map<String, EntityType> learn(List<LabelledSample> samples) {
    return learn(samples, Set.of());
  }

  /**
   * As {@link #learn(List)}, plus {@code places} (region and city names from outside the data) as
   * LOCATION, under the same rule for single words.
   */
  static Map<String, EntityType> learn(List<LabelledSample> samples, Set<String> places) {
    Map<String, EntityType> phrases = new HashMap<>(Countries.PHRASES);
    Map<String, Integer> inside = new HashMap<>();
    Map<String, Integer> outside = new HashMap<>();
    for (LabelledSample s : samples) {
      Tokens tokens = Tokens.of(s.text());
      for (int i = 0; i < tokens.size; i++) {
        boolean in = false;
        for (PiiSpan g : s.gold()) {
          if (g.start() <= tokens.start[i] && tokens.end[i] <= g.end()) {
            in = true;
            break;
          }
        }
        String w = tokens.text[i].toLowerCase(Locale.ROOT);
        (in ? inside : outside).merge(w, 1, Integer::sum);
      }
    }
    for (String place : places) {
      String k = key(place);
      if (k.length() >= 4
          && k.split(" ").length <= MAX_WORDS
          && outside.getOrDefault(k, 0) <= inside.getOrDefault(k, 0)) {
        phrases.putIfAbsent(k, EntityType.LOCATION);
      }
    }
    for (LabelledSample s : samples) {
      for (PiiSpan g : SpanEvaluation.normalise(s.text(), s.gold())) {
        if (g.type() != EntityType.LOCATION && g.type() != EntityType.ORGANIZATION) {
          continue;
        }
        String k = key(s.text().substring(g.start(), g.end()));
        if (k.length() < 3 || k.split(" ").length > MAX_WORDS) {
          continue;
        }
        if (k.indexOf(' ') < 0 && outside.getOrDefault(k, 0) > inside.getOrDefault(k, 0)) {
          continue;
        }
        phrases.putIfAbsent(k, g.type());
      }
    }
    return phrases;
  }

  static void write(Map<String, EntityType> phrases, Writer out) throws IOException {
    for (var e : new TreeMap<>(phrases).entrySet()) {
      out.write(e.getValue().name() + "\t" + e.getKey() + "\n");
    }
  }

  /** The phrases the build wrote next to the model, else the country names alone. */
  static PhraseDetector bundled(PiiModel model) {
    String resource = model.resource(FILE);
    try (InputStream in = PhraseDetector.class.getResourceAsStream(resource)) {
      if (in == null) {
        return new PhraseDetector(Countries.PHRASES);
      }
      Map<String, EntityType> phrases = new HashMap<>(Countries.PHRASES);
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        int tab = line.indexOf('\t');
        if (tab > 0) {
          phrases.put(line.substring(tab + 1), EntityType.valueOf(line.substring(0, tab)));
        }
      }
      return new PhraseDetector(phrases);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  /** Country names from the JDK's locale data and a few common other names. */
  static final class Countries {
    static final Map<String, EntityType> PHRASES;

    static {
      Map<String, EntityType> m = new HashMap<>();
      for (String iso : Locale.getISOCountries()) {
        String name = new Locale("", iso).getDisplayCountry(Locale.ENGLISH);
        if (!name.isBlank() && !name.equals(iso)) {
          m.put(key(name), EntityType.LOCATION);
          // "Bosnia & Herzegovina" -> also "bosnia and herzegovina"
          if (name.contains("&")) {
            m.put(key(name.replace("&", "and")), EntityType.LOCATION);
          }
        }
      }
      for (String other :
          List.of(
              "United States of America",
              "USA",
              "UK",
              "Great Britain",
              "England",
              "Scotland",
              "Wales",
              "Holland",
              "Czech Republic",
              "East Timor",
              "Swaziland",
              "Burma",
              "Ivory Coast",
              "Cape Verde",
              "Macedonia",
              "Vatican City",
              "Russia",
              "South Korea",
              "North Korea",
              "Palestine",
              "Kingdom of the Netherlands",
              "Republic of Ireland",
              "Democratic Republic of the Congo",
              "Republic of the Congo")) {
        m.put(key(other), EntityType.LOCATION);
      }
      PHRASES = Map.copyOf(m);
    }

    private Countries() {}
  }
}
