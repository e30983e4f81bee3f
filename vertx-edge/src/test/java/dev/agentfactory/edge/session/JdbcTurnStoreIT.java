package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session turn store on a real H2 file, as the embedded default opens it. */
class JdbcTurnStoreIT {

  /** A clock the test moves. */
  private static final class MovableClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-02T03:04:05Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @TempDir Path dir;
  private Vertx vertx;
  private final MovableClock clock = new MovableClock();
  private JdbcTurnStore store;

  @BeforeEach
  void open() throws Exception {
    vertx = Vertx.vertx();
    store =
        await(
            JdbcTurnStore.open(vertx, JdbcTurnStore.embeddedUrl(dir), Duration.ofHours(1), clock));
  }

  @AfterEach
  void close() throws Exception {
    await(store.close());
    await(vertx.close());
  }

  @Test
  void aTurnIsFoundByTenantSessionAndTurnIdAndAReusedIdNamesTheNewest() throws Exception {
    Interaction first = turn("acme", "s1", 1, "ls");
    Interaction second = turn("acme", "s1", 2, "pwd");
    await(store.put("c1", first));
    await(store.put("c1", second));

    TurnStore.Lookup found = await(store.find("acme", "s1", "c1"));
    assertThat(found).isInstanceOf(TurnStore.Lookup.Found.class);
    assertThat(((TurnStore.Lookup.Found) found).event()).isEqualTo(second);
    assertThat(await(store.find("acme", "s1", "c2")))
        .isInstanceOf(TurnStore.Lookup.UnknownTurn.class);
    assertThat(await(store.find("acme", "s2", "c1")))
        .isInstanceOf(TurnStore.Lookup.UnknownSession.class);
    assertThat(await(store.find("other", "s1", "c1")))
        .as("another tenant's session is unknown")
        .isInstanceOf(TurnStore.Lookup.UnknownSession.class);
  }

  @Test
  void manyTurnsQueuedAtOnceAreAllKeptAndAReusedIdInOneBatchKeepsTheNewest() throws Exception {
    List<Future<Void>> puts = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      puts.add(store.put("c" + i, turn("acme", "s" + (i % 7), i, "echo " + i)));
    }
    Interaction older = turn("acme", "s-reused", 1, "first");
    Interaction newer = turn("acme", "s-reused", 2, "second");
    puts.add(store.put("r", older));
    puts.add(store.put("r", newer));
    await(Future.all(puts));
    for (int i = 0; i < 2_000; i += 97) {
      TurnStore.Lookup found = await(store.find("acme", "s" + (i % 7), "c" + i));
      assertThat(found).as("turn c" + i).isInstanceOf(TurnStore.Lookup.Found.class);
      assertThat(((TurnStore.Lookup.Found) found).event().turn()).isEqualTo(i);
    }
    assertThat(((TurnStore.Lookup.Found) await(store.find("acme", "s-reused", "r"))).event())
        .isEqualTo(newer);
  }

  @Test
  void turnsOlderThanTheRetentionAreNotFoundAndAreSweptAway() throws Exception {
    await(store.put("c1", turn("acme", "s1", 1, "ls")));
    clock.now = clock.now.plus(Duration.ofMinutes(59));
    assertThat(await(store.find("acme", "s1", "c1"))).isInstanceOf(TurnStore.Lookup.Found.class);
    clock.now = clock.now.plus(Duration.ofMinutes(2));
    assertThat(await(store.find("acme", "s1", "c1")))
        .isInstanceOf(TurnStore.Lookup.UnknownSession.class);
    await(store.sweep());
    clock.now = clock.now.minus(Duration.ofMinutes(2));
    assertThat(await(store.find("acme", "s1", "c1")))
        .as("deleted by the sweep, not only hidden")
        .isInstanceOf(TurnStore.Lookup.UnknownSession.class);
  }

  @Test
  void turnsSurviveReopeningTheStore() throws Exception {
    await(store.put("c1", turn("acme", "s1", 1, "ls")));
    await(store.close());
    store =
        await(
            JdbcTurnStore.open(vertx, JdbcTurnStore.embeddedUrl(dir), Duration.ofHours(1), clock));
    assertThat(await(store.find("acme", "s1", "c1"))).isInstanceOf(TurnStore.Lookup.Found.class);
  }

  private static Interaction turn(String tenant, String session, int turn, String command) {
    return Interaction.sandboxCommand(
        tenant, session, turn, "shell", "0", command, "out\n", 0, Duration.ofMillis(3));
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
