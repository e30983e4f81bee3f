package dev.agentfactory.jobs.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Reruns the recall table of {@code docs/quality.md}: random texts with some words changed, and how
 * often MinHash over 3-word shingles calls them near duplicates at the default threshold.
 */
class MinHashRecallTest {

  private static final int TRIALS = 300;
  private static final double THRESHOLD = QualityConfig.defaults().nearDuplicateMinJaccard();

  @Test
  void shortEditsOfMediumTurnsAreFoundAndHeavyEditsAreNot() {
    Random random = new Random(42);
    assertThat(recall(random, 60, 1)).isGreaterThanOrEqualTo(0.95);
    assertThat(recall(random, 120, 3)).isGreaterThanOrEqualTo(0.85);
    assertThat(recall(random, 300, 3)).isGreaterThanOrEqualTo(0.99);
    assertThat(recall(random, 1000, 10)).isGreaterThanOrEqualTo(0.99);
    assertThat(recall(random, 30, 3)).isLessThanOrEqualTo(0.02);
    assertThat(recall(random, 120, 10)).isLessThanOrEqualTo(0.02);
  }

  private static double recall(Random random, int words, int edits) {
    int near = 0;
    for (int t = 0; t < TRIALS; t++) {
      List<String> text = new ArrayList<>(words);
      for (int i = 0; i < words; i++) {
        text.add("w" + Integer.toString(random.nextInt(1 << 30), 36));
      }
      int[] before = signature(text);
      for (int e = 0; e < edits; e++) {
        text.set(random.nextInt(words), "changed" + t + "x" + e);
      }
      if (MinHash.similarity(before, signature(text)) >= THRESHOLD) {
        near++;
      }
    }
    return (double) near / TRIALS;
  }

  private static int[] signature(List<String> words) {
    return MinHash.signature(MinHash.shingles(words, 3));
  }
}
