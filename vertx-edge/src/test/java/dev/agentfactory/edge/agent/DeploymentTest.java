package dev.agentfactory.edge.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DeploymentTest {

  private static Deployment canary(int percent) {
    return new Deployment(
        AgentRef.of("math"),
        1,
        Optional.of(new Deployment.Canary(2, percent)),
        OptionalInt.empty(),
        3,
        Instant.EPOCH);
  }

  @Test
  void canarySplitMatchesThePercentage() {
    Deployment d = canary(20);
    long onCanary = IntStream.range(0, 20_000).filter(i -> d.route("session-" + i) == 2).count();
    assertThat(onCanary / 20_000.0).isBetween(0.185, 0.215);
  }

  @Test
  void aKeyAlwaysRoutesTheSameWay() {
    Deployment d = canary(50);
    for (int i = 0; i < 100; i++) {
      assertThat(canary(50).route("k" + i)).isEqualTo(d.route("k" + i));
    }
  }

  @Test
  void zeroAndHundredPercentAreAbsolute() {
    assertThat(IntStream.range(0, 1000).map(i -> canary(0).route("s" + i)).distinct())
        .containsExactly(1);
    assertThat(IntStream.range(0, 1000).map(i -> canary(100).route("s" + i)).distinct())
        .containsExactly(2);
  }
}
