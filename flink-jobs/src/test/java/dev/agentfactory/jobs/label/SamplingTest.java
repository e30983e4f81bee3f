package dev.agentfactory.jobs.label;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SamplingTest {

  @Test
  void theSampleIsStableAndItsSizeFollowsTheRate() {
    long sampled =
        IntStream.range(0, 20_000)
            .mapToObj(i -> new UUID(i, i * 31L).toString())
            .filter(id -> Sampling.sampled(id, 0.1))
            .count();
    assertThat(sampled).isBetween(1_800L, 2_200L);
    String id = UUID.randomUUID().toString();
    assertThat(Sampling.sampled(id, 0.5)).isEqualTo(Sampling.sampled(id, 0.5));
  }

  @Test
  void raisingTheRateOnlyAddsExamples() {
    IntStream.range(0, 5_000)
        .mapToObj(i -> "example-" + i)
        .filter(id -> Sampling.sampled(id, 0.2))
        .forEach(id -> assertThat(Sampling.sampled(id, 0.3)).as(id).isTrue());
  }
}
