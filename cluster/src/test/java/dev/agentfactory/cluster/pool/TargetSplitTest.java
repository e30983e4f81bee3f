package dev.agentfactory.cluster.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class TargetSplitTest {

  @Test
  void sharesFollowCapacityAndAddUpToTheTotal() {
    Map<String, Integer> shares =
        TargetSplit.split(10, new TreeMap<>(Map.of("a", 1, "b", 2, "c", 2)));

    assertThat(shares).containsExactlyInAnyOrderEntriesOf(Map.of("a", 2, "b", 4, "c", 4));
  }

  @Test
  void remaindersGoToTheLargestFractionThenTheFirstNodeId() {
    assertThat(TargetSplit.split(4, new TreeMap<>(Map.of("a", 1, "b", 1, "c", 1))))
        .containsExactlyInAnyOrderEntriesOf(Map.of("a", 2, "b", 1, "c", 1));
    // 0.6, 1.2, 1.2: the largest fraction wins the one left over
    assertThat(TargetSplit.split(3, new TreeMap<>(Map.of("a", 1, "b", 2, "c", 2))))
        .containsExactlyInAnyOrderEntriesOf(Map.of("a", 1, "b", 1, "c", 1));
    // 0.5 and 1.5: a tie goes to the first node id
    assertThat(TargetSplit.split(2, new TreeMap<>(Map.of("x", 1, "y", 3))))
        .containsExactlyInAnyOrderEntriesOf(Map.of("x", 1, "y", 1));
  }

  @Test
  void noNodesMeansNoShares() {
    assertThat(TargetSplit.split(5, new TreeMap<>())).isEmpty();
  }
}
