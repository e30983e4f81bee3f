package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.connectors.event.Interaction;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session turn store on a real H2 file, as the embedded default opens it: encrypted rows, read
 * back, refused with a typed error when the key is wrong or the row was tampered with.
 */
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
  private final TurnCipher cipher = TurnCipher.of(List.of(key(1)));

  @BeforeEach
  void open() throws Exception {
    vertx = Vertx.vertx();
    store =
        await(
            JdbcTurnStore.open(
                vertx, JdbcTurnStore.embeddedUrl(dir), Duration.ofHours(1), cipher, clock));
  }

  @AfterEach
  void close() throws Exception {
    if (store != null) {
      await(store.close());
    }
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
            JdbcTurnStore.open(
                vertx, JdbcTurnStore.embeddedUrl(dir), Duration.ofHours(1), cipher, clock));
    assertThat(await(store.find("acme", "s1", "c1"))).isInstanceOf(TurnStore.Lookup.Found.class);
  }

  @Test
  void theStoredEventIsCiphertextWithoutThePlantedSecretsAndReadsBack() throws Exception {
    Interaction secret = turn("acme", "s1", 1, "mail " + EMAIL + " --token " + TOKEN);
    await(store.put("c-visible-turn-id", secret));

    assertThat(((TurnStore.Lookup.Found) await(store.find("acme", "s1", "c-visible-turn-id"))))
        .as("round trip")
        .isEqualTo(new TurnStore.Lookup.Found(secret));
    try (Connection c = DriverManager.getConnection(JdbcTurnStore.embeddedUrl(dir));
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM af_session_turns")) {
      assertThat(rs.next()).isTrue();
      StringBuilder row = new StringBuilder();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        row.append(rs.getMetaData().getColumnName(i)).append('=').append(rs.getString(i));
      }
      assertThat(row.toString())
          .contains("key_id=" + cipher.sealingKeyId())
          .contains("c-visible-turn-id")
          .doesNotContain(EMAIL)
          .doesNotContain(TOKEN)
          .doesNotContain("mail ");
      byte[] nonce = Base64.getDecoder().decode(rs.getString("event_sealed"));
      assertThat(nonce.length).isGreaterThan(TurnCipher.NONCE_BYTES + 16);
    }
    await(store.close());
    store = null;
    String file =
        new String(Files.readAllBytes(dir.resolve("turns.mv.db")), StandardCharsets.ISO_8859_1);
    assertThat(file).as("the scan sees clear columns").contains("c-visible-turn-id");
    assertThat(file).as("the H2 file on disk").doesNotContain(EMAIL).doesNotContain(TOKEN);
  }

  @Test
  void eachRowHasItsOwnNonce() throws Exception {
    await(store.put("c1", turn("acme", "s1", 1, "same")));
    await(store.put("c2", turn("acme", "s1", 1, "same")));
    List<String> sealed = column("event_sealed");
    assertThat(sealed).hasSize(2);
    assertThat(sealed.get(0).substring(0, 16)).isNotEqualTo(sealed.get(1).substring(0, 16));
  }

  @Test
  void aRowSealedWithAKeyTheNodeLacksIsATypedErrorNamingTheTurnAndRotationReadsIt()
      throws Exception {
    Interaction old = turn("acme", "s1", 1, "ls");
    await(store.put("c1", old));
    await(store.close());
    TurnCipher other = TurnCipher.of(List.of(key(2)));
    store = reopen(other);

    assertThatThrownBy(() -> await(store.find("acme", "s1", "c1")))
        .hasCauseInstanceOf(UnreadableTurnException.class)
        .cause()
        .hasMessageContaining("turn 'c1' of session s1")
        .hasMessageContaining(cipher.sealingKeyId())
        .hasMessageContaining("does not hold");
    assertThat(await(store.find("acme", "s1", "c2")))
        .as("the other lookups still answer")
        .isInstanceOf(TurnStore.Lookup.UnknownTurn.class);

    await(store.close());
    TurnCipher rotated = TurnCipher.of(List.of(key(2), key(1)));
    store = reopen(rotated);
    assertThat(await(store.find("acme", "s1", "c1"))).isEqualTo(new TurnStore.Lookup.Found(old));
    await(store.put("c2", turn("acme", "s1", 2, "pwd")));
    assertThat(column("key_id"))
        .containsExactlyInAnyOrder(cipher.sealingKeyId(), other.sealingKeyId());
  }

  @Test
  void aTamperedOrMovedRowIsATypedErrorNotACrash() throws Exception {
    await(store.put("c1", turn("acme", "s1", 1, "ls")));
    await(store.put("c2", turn("acme", "s1", 2, "pwd")));
    try (Connection c = DriverManager.getConnection(JdbcTurnStore.embeddedUrl(dir));
        Statement st = c.createStatement()) {
      String sealed = column("event_sealed").get(0);
      char flipped = sealed.charAt(20) == 'A' ? 'B' : 'A';
      st.executeUpdate(
          "UPDATE af_session_turns SET event_sealed = '"
              + sealed.substring(0, 20)
              + flipped
              + sealed.substring(21)
              + "' WHERE turn_id = 'c1'");
      st.executeUpdate("UPDATE af_session_turns SET session_id = 's2' WHERE turn_id = 'c2'");
    }

    assertThatThrownBy(() -> await(store.find("acme", "s1", "c1")))
        .hasCauseInstanceOf(UnreadableTurnException.class)
        .cause()
        .hasMessageContaining("turn 'c1'")
        .hasMessageContaining("does not authenticate");
    assertThatThrownBy(() -> await(store.find("acme", "s2", "c2")))
        .as("a row moved to another session does not open there")
        .hasCauseInstanceOf(UnreadableTurnException.class);
  }

  @Test
  void aTableFromBeforeEncryptionIsSealedWhenOpened() throws Exception {
    await(store.close());
    Path legacy = dir.resolve("legacy");
    Interaction clear = turn("acme", "s1", 1, "mail " + EMAIL);
    try (Connection c = DriverManager.getConnection(JdbcTurnStore.embeddedUrl(legacy));
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE af_session_turns (tenant_id VARCHAR(64) NOT NULL,"
              + " session_id VARCHAR(64) NOT NULL, turn_id VARCHAR(128) NOT NULL,"
              + " event_id VARCHAR(36) NOT NULL, event_json TEXT NOT NULL,"
              + " recorded_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, session_id, turn_id))");
      try (java.sql.PreparedStatement ins =
          c.prepareStatement("INSERT INTO af_session_turns VALUES ('acme', 's1', 'c1', ?, ?, ?)")) {
        ins.setString(1, clear.eventId().toString());
        ins.setString(
            2,
            new String(
                new dev.agentfactory.connectors.event.InteractionCodec().toJson(clear),
                StandardCharsets.UTF_8));
        ins.setLong(3, clock.millis());
        ins.executeUpdate();
      }
    }
    store =
        await(
            JdbcTurnStore.open(
                vertx, JdbcTurnStore.embeddedUrl(legacy), Duration.ofHours(1), cipher, clock));

    assertThat(await(store.find("acme", "s1", "c1"))).isEqualTo(new TurnStore.Lookup.Found(clear));
    try (Connection c = DriverManager.getConnection(JdbcTurnStore.embeddedUrl(legacy));
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM af_session_turns")) {
      assertThat(rs.next()).isTrue();
      StringBuilder row = new StringBuilder();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        row.append(rs.getMetaData().getColumnName(i).toLowerCase(java.util.Locale.ROOT))
            .append('=')
            .append(rs.getString(i));
      }
      assertThat(row.toString()).doesNotContain("event_json").doesNotContain(EMAIL);
    }
  }

  @Test
  void aGeneratedKeyIsKeptOwnerOnlyAndReusedAfterARestart() throws Exception {
    TurnCipher first = TurnCipher.generatedIn(dir);
    Path file = dir.resolve(TurnCipher.GENERATED_KEY_FILE);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(TurnCipher.generatedIn(dir).sealingKeyId()).isEqualTo(first.sealingKeyId());
    assertThat(TurnCipher.fromSpec(file.toString()).sealingKeyId())
        .as("the key file as a session.store.key entry, for a later rotation")
        .isEqualTo(first.sealingKeyId());
  }

  private JdbcTurnStore reopen(TurnCipher with) throws Exception {
    return await(
        JdbcTurnStore.open(
            vertx, JdbcTurnStore.embeddedUrl(dir), Duration.ofHours(1), with, clock));
  }

  private List<String> column(String name) throws Exception {
    List<String> values = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(JdbcTurnStore.embeddedUrl(dir));
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT " + name + " FROM af_session_turns ORDER BY turn_id")) {
      while (rs.next()) {
        values.add(rs.getString(1));
      }
    }
    return values;
  }

  private static final String EMAIL = "alice.planted@example.com";
  private static final String TOKEN = "sk-live-PLANTEDSECRET0123456789";

  private static byte[] key(int seed) {
    byte[] key = new byte[32];
    java.util.Arrays.fill(key, (byte) seed);
    return key;
  }

  private static Interaction turn(String tenant, String session, int turn, String command) {
    return Interaction.sandboxCommand(
        tenant, session, turn, "shell", "0", command, "out\n", 0, Duration.ofMillis(3));
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
