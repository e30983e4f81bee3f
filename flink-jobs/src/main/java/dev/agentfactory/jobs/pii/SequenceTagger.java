package dev.agentfactory.jobs.pii;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * A linear-chain sequence tagger: BIO tags over {@link #TYPES}, a weight per (feature, tag) and per
 * tag transition, Viterbi decoding. Features are the int keys of {@link NameFeatures#of}; the model
 * keeps a row of {@link #TAGS} weights for each key it learned ({@link IntIndex}), so scoring a
 * token is a handful of table look-ups and float additions. Trained by {@link PerceptronTrainer}.
 * Immutable and thread-safe.
 */
final class SequenceTagger {

  /** The entity types it tags, in tag order. */
  static final List<EntityType> TYPES =
      List.of(
          EntityType.PERSON,
          EntityType.LOCATION,
          EntityType.ORGANIZATION,
          EntityType.ADDRESS,
          EntityType.TITLE,
          EntityType.PREFIX);

  /** O, then B and I of every type. */
  static final int TAGS = 1 + 2 * TYPES.size();

  static final int OUTSIDE = 0;

  private static final String MAGIC = "pii-tagger-1";
  private static final float FORBIDDEN = -1e30f;

  final IntIndex index;
  final float[] weights;

  /**
   * {@code (TAGS + 1) * TAGS}: row {@code from} (or {@link #TAGS}: the start), column {@code to}.
   */
  final float[] transitions;

  SequenceTagger(IntIndex index, float[] weights, float[] transitions) {
    if (weights.length != index.size() * TAGS || transitions.length != (TAGS + 1) * TAGS) {
      throw new IllegalArgumentException("weights: sizes do not match the feature index");
    }
    this.index = index;
    this.weights = weights;
    this.transitions = constrained(transitions);
  }

  static int begin(int type) {
    return 1 + 2 * type;
  }

  static int type(int tag) {
    return (tag - 1) / 2;
  }

  static boolean isInside(int tag) {
    return tag > 0 && tag % 2 == 0;
  }

  /** BIO: I-x only after B-x or I-x. */
  static boolean allowed(int from, int to) {
    return !isInside(to) || (from < TAGS && (from == to || from == to - 1));
  }

  private static float[] constrained(float[] t) {
    float[] c = t.clone();
    for (int from = 0; from <= TAGS; from++) {
      for (int to = 0; to < TAGS; to++) {
        if (!allowed(from, to)) {
          c[from * TAGS + to] = FORBIDDEN;
        }
      }
    }
    return c;
  }

  /** Emission scores, {@code n * TAGS}, of the tokens' feature keys. */
  float[] emissions(int[][] keys) {
    int n = keys.length;
    float[] e = new float[n * TAGS];
    for (int i = 0; i < n; i++) {
      int o = i * TAGS;
      for (int key : keys[i]) {
        int r = index.get(key);
        if (r >= 0) {
          int base = r * TAGS;
          for (int t = 0; t < TAGS; t++) {
            e[o + t] += weights[base + t];
          }
        }
      }
    }
    return e;
  }

  /** The best tag sequence for {@code n} tokens under emissions {@code e} and {@code trans}. */
  static int[] viterbi(float[] e, int n, float[] trans) {
    int[] tags = new int[n];
    if (n == 0) {
      return tags;
    }
    float[] score = new float[TAGS];
    float[] next = new float[TAGS];
    int[] back = new int[n * TAGS];
    int startRow = TAGS * TAGS;
    for (int t = 0; t < TAGS; t++) {
      score[t] = trans[startRow + t] + e[t];
    }
    for (int i = 1; i < n; i++) {
      int o = i * TAGS;
      for (int t = 0; t < TAGS; t++) {
        float best = Float.NEGATIVE_INFINITY;
        int arg = 0;
        // I-x follows only B-x (t - 1) or I-x (t): every other way in is FORBIDDEN, never the best
        int from = isInside(t) ? t - 1 : 0;
        int to = isInside(t) ? t : TAGS - 1;
        for (int f = from; f <= to; f++) {
          float s = score[f] + trans[f * TAGS + t];
          if (s > best) {
            best = s;
            arg = f;
          }
        }
        next[t] = best + e[o + t];
        back[o + t] = arg;
      }
      float[] tmp = score;
      score = next;
      next = tmp;
    }
    int arg = 0;
    for (int t = 1; t < TAGS; t++) {
      if (score[t] > score[arg]) {
        arg = t;
      }
    }
    for (int i = n - 1; i >= 0; i--) {
      tags[i] = arg;
      arg = back[i * TAGS + arg];
    }
    return tags;
  }

  /** A tagged span of tokens {@code [first, last)} with its confidence margin. */
  record TokenSpan(EntityType type, int first, int last, double margin) {}

  /** The spans of the best tagging of the tokens with feature {@code keys}. */
  List<TokenSpan> tag(int[][] keys) {
    int n = keys.length;
    float[] e = emissions(keys);
    int[] tags = viterbi(e, n, transitions);
    List<TokenSpan> spans = new ArrayList<>();
    int i = 0;
    while (i < n) {
      if (tags[i] == OUTSIDE) {
        i++;
        continue;
      }
      int type = type(tags[i]);
      int j = i + 1;
      while (j < n && tags[j] == begin(type) + 1) {
        j++;
      }
      double margin = 0;
      for (int k = i; k < j; k++) {
        margin += margin(e, k, type);
      }
      spans.add(new TokenSpan(TYPES.get(type), i, j, margin / (j - i)));
      i = j;
    }
    return spans;
  }

  /** How much more token {@code k} scores as {@code type} (B or I) than as anything else. */
  private static float margin(float[] e, int k, int type) {
    int o = k * TAGS;
    float mine = Math.max(e[o + begin(type)], e[o + begin(type) + 1]);
    float other = e[o];
    for (int t = 1; t < TAGS; t++) {
      if (type(t) != type && e[o + t] > other) {
        other = e[o + t];
      }
    }
    return mine - other;
  }

  /**
   * The average of {@code models}' weights and transitions, over the union of their features (a
   * model without a feature counts as zero there): one model that scores like the mean of their
   * scores, at the cost of one.
   */
  static SequenceTagger average(List<SequenceTagger> models) {
    return average(models, 0f);
  }

  /**
   * As {@link #average(List)}, leaving out features whose averaged weights are all smaller than
   * {@code minWeight} in magnitude (a smaller table, for speed).
   */
  static SequenceTagger average(List<SequenceTagger> models, float minWeight) {
    if (models.size() == 1 && minWeight <= 0) {
      return models.get(0);
    }
    IntIndex union = new IntIndex(models.get(0).index.size() * 2);
    for (SequenceTagger m : models) {
      for (int key : m.index.keysByRow()) {
        union.add(key);
      }
    }
    float[] w = new float[union.size() * TAGS];
    float[] t = new float[(TAGS + 1) * TAGS];
    float share = 1f / models.size();
    for (SequenceTagger m : models) {
      int[] keys = m.index.keysByRow();
      for (int r = 0; r < keys.length; r++) {
        int base = union.get(keys[r]) * TAGS;
        for (int x = 0; x < TAGS; x++) {
          w[base + x] += share * m.weights[r * TAGS + x];
        }
      }
      for (int x = 0; x < t.length; x++) {
        t[x] += share * Math.max(m.transitions[x], -1e6f);
      }
    }
    if (minWeight <= 0) {
      return new SequenceTagger(union, w, t);
    }
    int[] keys = union.keysByRow();
    IntIndex kept = new IntIndex(keys.length);
    float[] kw = new float[keys.length * TAGS];
    for (int r = 0; r < keys.length; r++) {
      float max = 0;
      for (int x = 0; x < TAGS; x++) {
        max = Math.max(max, Math.abs(w[r * TAGS + x]));
      }
      if (max >= minWeight) {
        System.arraycopy(w, r * TAGS, kw, kept.add(keys[r]) * TAGS, TAGS);
      }
    }
    return new SequenceTagger(kept, java.util.Arrays.copyOf(kw, kept.size() * TAGS), t);
  }

  int features() {
    return index.size();
  }

  void write(OutputStream out) throws IOException {
    GZIPOutputStream gz = new GZIPOutputStream(out);
    DataOutputStream d = new DataOutputStream(new BufferedOutputStream(gz, 1 << 16));
    d.writeUTF(MAGIC);
    d.writeInt(TYPES.size());
    for (EntityType t : TYPES) {
      d.writeUTF(t.name());
    }
    int[] keys = index.keysByRow();
    d.writeInt(keys.length);
    for (int k : keys) {
      d.writeInt(k);
    }
    for (float w : weights) {
      d.writeFloat(w);
    }
    for (int from = 0; from <= TAGS; from++) {
      for (int to = 0; to < TAGS; to++) {
        d.writeFloat(allowed(from, to) ? transitions[from * TAGS + to] : 0f);
      }
    }
    d.flush();
    gz.finish();
  }

  static SequenceTagger read(InputStream in) throws IOException {
    DataInputStream d =
        new DataInputStream(new BufferedInputStream(new GZIPInputStream(in), 1 << 16));
    String magic = d.readUTF();
    if (!MAGIC.equals(magic)) {
      throw new IOException("not a PII tagger model: " + magic);
    }
    int types = d.readInt();
    if (types != TYPES.size()) {
      throw new IOException("model has " + types + " types, expected " + TYPES.size());
    }
    for (EntityType t : TYPES) {
      String name = d.readUTF();
      if (!t.name().equals(name)) {
        throw new IOException("model type " + name + " where " + t + " was expected");
      }
    }
    int rows = d.readInt();
    if (rows < 0 || rows > Integer.MAX_VALUE / TAGS) {
      throw new IOException("model rows: " + rows + " out of range");
    }
    IntIndex index = new IntIndex(rows);
    for (int r = 0; r < rows; r++) {
      index.add(d.readInt());
    }
    float[] weights = new float[rows * TAGS];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = d.readFloat();
    }
    float[] transitions = new float[(TAGS + 1) * TAGS];
    for (int i = 0; i < transitions.length; i++) {
      transitions[i] = d.readFloat();
    }
    return new SequenceTagger(index, weights, transitions);
  }
}
