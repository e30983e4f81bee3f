package dev.agentfactory.jobs.pii;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Trains a {@link SequenceTagger} as an averaged structured perceptron (Collins 2002): decode each
 * sample with the current weights and, where the best tagging differs from the gold one, add the
 * gold tags' features and subtract the predicted ones; the model is the average of the weights over
 * all steps, which generalises much better than the last weights. Deterministic for a seed.
 */
final class PerceptronTrainer {

  /**
   * One training sequence: feature keys per token, gold tags and, per token, how many of its
   * leading keys are its own features (the rest are context: {@link NameFeatures#of(Tokens,
   * Gazetteer, int[])}); {@code own} may be null (no context dropout then).
   */
  record Sequence(int[][] keys, int[] tags, int[] own) {
    Sequence(int[][] keys, int[] tags) {
      this(keys, tags, null);
    }
  }

  private final int epochs;
  private final int cutoff;
  private final long seed;
  private final double contextDrop;

  /**
   * @param epochs passes over the data
   * @param cutoff features seen in fewer than this many tokens get no weights
   * @param seed the shuffling seed
   */
  PerceptronTrainer(int epochs, int cutoff, long seed) {
    this(epochs, cutoff, seed, 0.0);
  }

  /**
   * @param contextDrop per token and update, the probability that its context features are left out
   *     (decoded and updated without them), so that the token's own features carry more weight and
   *     a sentence shape never seen in training misleads the tagger less
   */
  PerceptronTrainer(int epochs, int cutoff, long seed, double contextDrop) {
    this.epochs = epochs;
    this.cutoff = cutoff;
    this.seed = seed;
    this.contextDrop = contextDrop;
  }

  SequenceTagger train(List<Sequence> data) {
    final int T = SequenceTagger.TAGS;
    // feature dictionary: keys seen at least `cutoff` times
    IntIndex all = new IntIndex(1 << 16);
    int[] counts = new int[1 << 16];
    for (Sequence s : data) {
      for (int[] token : s.keys()) {
        for (int k : token) {
          int r = all.add(k);
          if (r >= counts.length) {
            counts = java.util.Arrays.copyOf(counts, counts.length * 2);
          }
          counts[r]++;
        }
      }
    }
    int[] keysByRow = all.keysByRow();
    IntIndex index = new IntIndex(keysByRow.length / 2);
    for (int r = 0; r < keysByRow.length; r++) {
      if (counts[r] >= cutoff) {
        index.add(keysByRow[r]);
      }
    }
    // rows per token, once
    List<int[][]> rows = new ArrayList<>(data.size());
    List<int[]> ownRows = new ArrayList<>(data.size());
    int[] buf = new int[256];
    for (Sequence s : data) {
      int[][] rs = new int[s.keys().length][];
      int[] own = new int[rs.length];
      for (int i = 0; i < rs.length; i++) {
        int m = 0;
        int[] keys = s.keys()[i];
        int ownKeys = s.own() == null ? keys.length : s.own()[i];
        for (int x = 0; x < keys.length; x++) {
          if (x == ownKeys) {
            own[i] = m;
          }
          int r = index.get(keys[x]);
          if (r >= 0) {
            buf[m++] = r * T;
          }
        }
        if (ownKeys >= keys.length) {
          own[i] = m;
        }
        rs[i] = java.util.Arrays.copyOf(buf, m);
      }
      rows.add(rs);
      ownRows.add(own);
    }
    Random dropout = new Random(seed ^ 0x5DEECE66DL);
    int[] limit = new int[64];
    int R = index.size();
    float[] w = new float[R * T];
    double[] acc = new double[R * T];
    float[] trans = new float[(T + 1) * T];
    double[] transAcc = new double[(T + 1) * T];
    float[] decodeTrans = new float[(T + 1) * T];
    int[] order = new int[data.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Random random = new Random(seed);
    long c = 1;
    for (int epoch = 0; epoch < epochs; epoch++) {
      for (int i = order.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
      }
      for (int idx : order) {
        int[][] rs = rows.get(idx);
        int[] own = ownRows.get(idx);
        int[] gold = data.get(idx).tags();
        int n = rs.length;
        if (n == 0) {
          continue;
        }
        if (limit.length < n) {
          limit = new int[n * 2];
        }
        for (int i = 0; i < n; i++) {
          limit[i] = contextDrop > 0 && dropout.nextDouble() < contextDrop ? own[i] : rs[i].length;
        }
        float[] e = new float[n * T];
        for (int i = 0; i < n; i++) {
          int o = i * T;
          int[] r = rs[i];
          for (int x = 0, lim = limit[i]; x < lim; x++) {
            int base = r[x];
            for (int t = 0; t < T; t++) {
              e[o + t] += w[base + t];
            }
          }
        }
        for (int from = 0; from <= T; from++) {
          for (int to = 0; to < T; to++) {
            decodeTrans[from * T + to] =
                SequenceTagger.allowed(from, to) ? trans[from * T + to] : -1e30f;
          }
        }
        int[] pred = SequenceTagger.viterbi(e, n, decodeTrans);
        for (int i = 0; i < n; i++) {
          int g = gold[i];
          int p = pred[i];
          if (g != p) {
            int[] r = rs[i];
            for (int x = 0, lim = limit[i]; x < lim; x++) {
              int base = r[x];
              w[base + g] += 1;
              acc[base + g] += c;
              w[base + p] -= 1;
              acc[base + p] -= c;
            }
          }
          int gf = i == 0 ? T : gold[i - 1];
          int pf = i == 0 ? T : pred[i - 1];
          if (gf != pf || g != p) {
            trans[gf * T + g] += 1;
            transAcc[gf * T + g] += c;
            trans[pf * T + p] -= 1;
            transAcc[pf * T + p] -= c;
          }
        }
        c++;
      }
    }
    // average, and drop rows that ended at zero
    float[] avg = new float[R * T];
    boolean[] keep = new boolean[R];
    int kept = 0;
    for (int r = 0; r < R; r++) {
      for (int t = 0; t < T; t++) {
        int x = r * T + t;
        avg[x] = (float) (w[x] - acc[x] / c);
        if (Math.abs(avg[x]) > 1e-4f) {
          keep[r] = true;
        }
      }
      if (keep[r]) {
        kept++;
      }
    }
    int[] keys = index.keysByRow();
    IntIndex pruned = new IntIndex(kept);
    float[] weights = new float[kept * T];
    for (int r = 0; r < R; r++) {
      if (keep[r]) {
        int nr = pruned.add(keys[r]);
        System.arraycopy(avg, r * T, weights, nr * T, T);
      }
    }
    float[] t = new float[(T + 1) * T];
    for (int x = 0; x < t.length; x++) {
      t[x] = (float) (trans[x] - transAcc[x] / c);
    }
    return new SequenceTagger(pruned, weights, t);
  }
}
