package dev.agentfactory.edge.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiveEvalBoardTest {

  private static final Duration RETENTION = Duration.ofMinutes(15);
  private static final long T0 = Instant.parse("2026-11-27T03:00:00Z").toEpochMilli();

  private final MovableClock clock = new MovableClock(T0);
  private final LiveEvalBoard board = new LiveEvalBoard(clock, RETENTION);

  @Test
  void aSeriesWithoutANewerWindowForLongerThanTheRetentionIsDropped() {
    board.update(metric("acme", "v1", T0));
    board.update(metric("acme", "v2", T0));

    clock.advance(Duration.ofMinutes(10));
    board.update(metric("acme", "v2", clock.millis())); // v2 is still in use, v1 is not
    clock.advance(Duration.ofMinutes(6)); // v1's window ended 16 minutes ago

    assertThat(board.snapshot("acme")).extracting(LiveMetric::agentVersion).containsExactly("v2");
    assertThat(board.series()).as("the expired series is removed from memory too").isEqualTo(1);
  }

  /** Names may hold '/' (the event contract allows it): no two series may share one entry. */
  @Test
  void seriesWhoseNamesJoinedBySlashesReadAlikeStaySeparate() {
    board.update(metric("acme/eu", "calc", "1", T0));
    board.update(metric("acme", "eu/calc", "1", T0));

    assertThat(board.snapshot("acme")).extracting(LiveMetric::agent).containsExactly("eu/calc");
    assertThat(board.snapshot("acme/eu")).extracting(LiveMetric::agent).containsExactly("calc");
    assertThat(board.series()).isEqualTo(2);
  }

  @Test
  void aSeriesWithinTheRetentionIsKeptHoweverIdle() {
    board.update(metric("acme", "v1", T0));

    clock.advance(RETENTION);

    assertThat(board.snapshot("acme")).extracting(LiveMetric::agentVersion).containsExactly("v1");
  }

  @Test
  void aWindowOlderThanTheRetentionIsNotKeptNorPushed() {
    List<LiveMetric> pushed = new ArrayList<>();
    board.watch("acme", pushed::add);

    board.update(metric("acme", "v1", T0 - RETENTION.toMillis() - 1));

    assertThat(board.snapshot("acme")).isEmpty();
    assertThat(board.series()).isZero();
    assertThat(pushed).isEmpty();
  }

  @Test
  void anExpiredSeriesComesBackWithItsNextWindow() {
    board.update(metric("acme", "v1", T0));
    clock.advance(Duration.ofHours(1));
    assertThat(board.snapshot("acme")).isEmpty();

    board.update(metric("acme", "v1", clock.millis()));

    assertThat(board.snapshot("acme"))
        .extracting(LiveMetric::windowEndMs)
        .containsExactly(clock.millis());
  }

  private static LiveMetric metric(String tenant, String version, long windowEnd) {
    return metric(tenant, "calc", version, windowEnd);
  }

  private static LiveMetric metric(String tenant, String agent, String version, long windowEnd) {
    return LiveMetric.parse(
        new JsonObject()
            .put("tenant", tenant)
            .put("agent", agent)
            .put("agent_version", version)
            .put("window_start_ms", windowEnd - 10_000)
            .put("window_end_ms", windowEnd)
            .put("turns", 1)
            .encode());
  }

  /** A clock the test moves. */
  private static final class MovableClock extends Clock {
    private volatile long millis;

    MovableClock(long millis) {
      this.millis = millis;
    }

    void advance(Duration by) {
      millis += by.toMillis();
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
