package dev.agentfactory.edge.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LoneSurrogatesTest {

  @Test
  void wholePairsAndPlainTextHaveNone() {
    assertThat(LoneSurrogates.indexIn("")).isEqualTo(-1);
    assertThat(LoneSurrogates.indexIn("plain é 数")).isEqualTo(-1);
    assertThat(LoneSurrogates.indexIn("\ud83d\ude00\ud83d\ude00")).isEqualTo(-1);
  }

  @Test
  void halfAPairIsFoundWhereItIs() {
    assertThat(LoneSurrogates.indexIn("a\ud800b")).isEqualTo(1);
    assertThat(LoneSurrogates.indexIn("ab\ud800")).as("a high one at the end").isEqualTo(2);
    assertThat(LoneSurrogates.indexIn("\ude00a")).as("a low one first").isEqualTo(0);
    assertThat(LoneSurrogates.indexIn("\ud83d\ude00\ude00")).as("after a pair").isEqualTo(2);
    assertThat(LoneSurrogates.indexIn("\ud800\ud83d\ude00")).as("two highs").isEqualTo(0);
  }

  @Test
  void aCutMovesBeforeAPairItWouldSplit() {
    assertThat(LoneSurrogates.cutPoint("a\ud83d\ude00b", 2)).isEqualTo(1);
    assertThat(LoneSurrogates.cutPoint("a\ud83d\ude00b", 3)).as("after the pair").isEqualTo(3);
    assertThat(LoneSurrogates.cutPoint("ab", 1)).isEqualTo(1);
    assertThat(LoneSurrogates.cutPoint("a\ud83d", 2))
        .as("at the end: nothing to split")
        .isEqualTo(2);
  }
}
