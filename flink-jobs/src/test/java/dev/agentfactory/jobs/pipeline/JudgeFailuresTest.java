package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JudgeFailuresTest {

  private final JudgeFailures failures = new JudgeFailures(60_000);

  @Test
  void theFirstFailureIsLoggedWithItsReason() {
    assertThat(failures.onFailure("judge endpoint answered HTTP 401", 1_000))
        .hasValueSatisfying(line -> assertThat(line).contains("HTTP 401"));
  }

  @Test
  void furtherFailuresWithinTheIntervalAreCountedNotLogged() {
    failures.onFailure("HTTP 401", 0);
    assertThat(failures.onFailure("HTTP 401", 10_000)).isEmpty();
    assertThat(failures.onFailure("HTTP 401", 59_999)).isEmpty();
    assertThat(failures.onFailure("HTTP 503", 60_000))
        .hasValueSatisfying(line -> assertThat(line).contains("HTTP 503", "3 failed"));
  }

  @Test
  void theCountStartsAgainAfterALine() {
    failures.onFailure("a", 0);
    failures.onFailure("b", 60_000);
    assertThat(failures.onFailure("c", 120_000))
        .hasValueSatisfying(line -> assertThat(line).contains("1 failed"));
  }
}
