package dev.agentfactory.bench.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EvalMatcherTest {

  private static final String ACME = EvalMatcher.series("acme", "helper", "1.0.0");
  private static final String GLOBEX = EvalMatcher.series("globex", "helper", "1.0.0");

  @Test
  void eachEventIsStampedByTheFirstMetricOfItsSeriesWhoseNewestEventIsItOrLater() {
    EvalMatcher matcher = new EvalMatcher();
    matcher.published(ACME, 1_000, ms(10));
    matcher.published(ACME, 1_005, ms(15));
    matcher.published(GLOBEX, 1_006, ms(16));
    matcher.published(ACME, 1_300, ms(310));

    assertThat(matcher.seen(ACME, 3, 999, ms(400))).as("older than every event").isZero();
    assertThat(matcher.seen(GLOBEX, 1, 1_100, ms(500))).isEqualTo(1);
    assertThat(matcher.seen(ACME, 5, 1_005, ms(600))).isEqualTo(2);
    assertThat(matcher.seen(ACME, 5, 1_005, ms(700))).as("already matched").isZero();
    assertThat(matcher.unmatched()).isEqualTo(1);
    assertThat(matcher.seen(ACME, 6, 1_300, ms(1_310))).isEqualTo(1);

    assertThat(matcher.sortedMillis()).containsExactly(484, 585, 590, 1_000);
    assertThat(matcher.unmatched()).isZero();
  }

  @Test
  void theDifferenceBetweenTwoPlacesIsTakenPerEventSeenAtBoth() {
    EvalMatcher topic = new EvalMatcher();
    EvalMatcher edge = new EvalMatcher();
    for (EvalMatcher m : new EvalMatcher[] {topic, edge}) {
      m.published(ACME, 1_000, ms(10));
      m.published(ACME, 2_000, ms(1_010));
      m.published(GLOBEX, 2_000, ms(1_010));
    }
    topic.seen(ACME, 1, 1_000, ms(500));
    topic.seen(ACME, 1, 2_000, ms(1_500));
    topic.seen(GLOBEX, 1, 2_000, ms(1_600));
    edge.seen(ACME, 1, 2_000, ms(1_503)); // the first push already had both acme events
    edge.seen(GLOBEX, 1, 1_999, ms(1_700)); // not yet the globex one

    assertThat(EvalMatcher.sortedDifferenceMicros(edge, topic)).containsExactly(3_000, 1_003_000);
  }

  @Test
  void aMetricWithoutTurnsMatchesNothing() {
    EvalMatcher matcher = new EvalMatcher();
    matcher.published(ACME, 1_000, ms(10));

    // a window holding only a judge verdict or safety findings counts no turn
    assertThat(matcher.seen(ACME, 0, 1_000, ms(100))).isZero();
    assertThat(matcher.seen(GLOBEX, 4, 2_000, ms(100))).as("another series").isZero();
    assertThat(matcher.unmatched()).isEqualTo(1);
    assertThat(matcher.sortedMillis()).isEmpty();
  }

  private static long ms(long millis) {
    return millis * 1_000_000;
  }
}
