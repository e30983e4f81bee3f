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
import org.h2.tools.Server;
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
  JdbcTurnStore store;
  private final TurnCipher cipher = TurnCipher.of(List.of(key(1)));

  String url;
  private Server h2Server;

  @BeforeEach
  void open() throws Exception {
    vertx = Vertx.vertx();
    url = storeUrl("turns");
    store = await(JdbcTurnStore.open(vertx, url, Duration.ofHours(1), cipher, clock));
  }

  @AfterEach
  void close() throws Exception {
    if (store != null) {
      await(store.close());
    }
    await(vertx.close());
    if (h2Server != null) {
      h2Server.stop();
    }
  }

  /**
   * A store of its own for this test ({@code name} tells several apart): an embedded H2 file here,
   * as the single-node default opens it; a database of its own in {@link JdbcTurnStorePostgresIT}.
   */
  String storeUrl(String name) throws Exception {
    return name.equals("turns")
        ? JdbcTurnStore.embeddedUrl(dir)
        : JdbcTurnStore.embeddedUrl(dir.resolve(name));
  }

  /**
   * A store several nodes open at once: H2 over its TCP server here (an H2 file takes one process),
   * PostgreSQL in the subclass. {@code options} are H2 URL options.
   */
  String sharedUrl(String name, String options) throws Exception {
    if (h2Server == null) {
      h2Server =
          Server.createTcpServer("-tcpPort", "0", "-baseDir", dir.toString(), "-ifNotExists")
              .start();
    }
    return "jdbc:h2:tcp://127.0.0.1:"
        + h2Server.getPort()
        + "/"
        + name
        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE"
        + options;
  }

  /** How many sessions of the database at {@code url} wait for a lock. */
  int blockedSessions(String url) throws Exception {
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(*) FROM information_schema.sessions WHERE blocker_id IS NOT NULL")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** Whether the store is an H2 file this test can read as a file. */
  boolean embeddedH2() {
    return true;
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
    store = reopen(cipher);
    assertThat(await(store.find("acme", "s1", "c1"))).isInstanceOf(TurnStore.Lookup.Found.class);
  }

  @Test
  void theStoredEventIsCiphertextWithoutThePlantedSecretsAndReadsBack() throws Exception {
    Interaction secret = turn("acme", "s1", 1, "mail " + EMAIL + " --token " + TOKEN);
    await(store.put("c-visible-turn-id", secret));

    assertThat(((TurnStore.Lookup.Found) await(store.find("acme", "s1", "c-visible-turn-id"))))
        .as("round trip")
        .isEqualTo(new TurnStore.Lookup.Found(secret));
    try (Connection c = DriverManager.getConnection(url);
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
    if (embeddedH2()) {
      String file =
          new String(Files.readAllBytes(dir.resolve("turns.mv.db")), StandardCharsets.ISO_8859_1);
      assertThat(file).as("the scan sees clear columns").contains("c-visible-turn-id");
      assertThat(file).as("the H2 file on disk").doesNotContain(EMAIL).doesNotContain(TOKEN);
    }
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
  void aStoreWithTurnsUnderAKeyTheNodeLacksRefusesToOpenNamingTheKeyIdAndChangesNothing()
      throws Exception {
    Interaction old = turn("acme", "s1", 1, "ls");
    await(store.put("c1", old));
    await(store.close());
    store = null;
    List<String> before = column("key_id || ':' || event_sealed");
    TurnCipher other = TurnCipher.of(List.of(key(2)));

    assertThatThrownBy(() -> reopen(other))
        .hasCauseInstanceOf(TurnStoreKeyException.class)
        .cause()
        .hasMessageContaining(cipher.sealingKeyId() + " (1 turns)")
        .hasMessageContaining("session.store.key (AF_SESSION_STORE_KEY) does not hold")
        .hasMessageContaining("this node has " + other.sealingKeyId())
        .satisfies(
            e ->
                assertThat(((TurnStoreKeyException) e).missingKeys())
                    .isEqualTo(java.util.Map.of(cipher.sealingKeyId(), 1L)));
    assertThat(column("key_id || ':' || event_sealed")).as("nothing changed").isEqualTo(before);

    TurnCipher rotated = TurnCipher.of(List.of(key(2), key(1)));
    clock.now = clock.now.plusSeconds(1);
    store = reopen(rotated);
    assertThat(await(store.find("acme", "s1", "c1"))).isEqualTo(new TurnStore.Lookup.Found(old));
  }

  @Test
  void turnsPastTheRetentionUnderAKeyTheNodeLacksDoNotBlockItsStartAndAreSwept() throws Exception {
    await(store.put("c1", turn("acme", "s1", 1, "ls")));
    await(store.close());
    clock.now = clock.now.plus(Duration.ofMinutes(61));

    store = reopen(TurnCipher.of(List.of(key(2))));

    assertThat(column("turn_id")).as("swept at open").isEmpty();
  }

  @Test
  void aKeyAnotherNodeSealsWithAfterThisOneStartedIsATypedErrorOnLookupAndCounted()
      throws Exception {
    JdbcTurnStore lacking = reopen(TurnCipher.of(List.of(key(2))));
    try {
      await(store.put("c1", turn("acme", "s1", 1, "ls")));

      assertThatThrownBy(() -> await(lacking.find("acme", "s1", "c1")))
          .hasCauseInstanceOf(UnreadableTurnException.class)
          .cause()
          .hasMessageContaining("turn 'c1' of session s1")
          .hasMessageContaining(cipher.sealingKeyId())
          .hasMessageContaining("does not hold");
      assertThat(await(lacking.find("acme", "s1", "c2")))
          .as("the other lookups still answer")
          .isInstanceOf(TurnStore.Lookup.UnknownTurn.class);
      await(lacking.reencrypt());
      assertThat(lacking.turnsUnderMissingKeys()).isEqualTo(1);
    } finally {
      await(lacking.close());
    }
  }

  @Test
  void aKeyWhoseIdMatchesButWhichDoesNotOpenTheCheckValueRefusesToOpen() throws Exception {
    await(store.put("c1", turn("acme", "s1", 1, "ls")));
    await(store.close());
    store = null;
    TurnCipher other = TurnCipher.of(List.of(key(2)));
    String foreignCheck = other.sealWith(other.sealingKeyId(), new byte[8], new byte[0]).payload();
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement()) {
      assertThat(
              st.executeUpdate(
                  "UPDATE af_session_turn_keys SET key_check = '"
                      + foreignCheck
                      + "' WHERE key_id = '"
                      + cipher.sealingKeyId()
                      + "'"))
          .isEqualTo(1);
    }

    assertThatThrownBy(() -> reopen(cipher))
        .hasCauseInstanceOf(TurnStoreKeyException.class)
        .cause()
        .hasMessageContaining("key(s) " + cipher.sealingKeyId())
        .hasMessageContaining("do not open")
        .satisfies(
            e ->
                assertThat(((TurnStoreKeyException) e).wrongKeys())
                    .containsExactly(cipher.sealingKeyId()));
  }

  @Test
  void afterRotationTheTurnsOfTheOldKeyAreReencryptedAndTheOldKeyCanBeDropped() throws Exception {
    List<Interaction> turns = new ArrayList<>();
    List<Future<Void>> puts = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      Interaction t = turn("acme", "s" + (i % 13), i, "echo " + i);
      turns.add(t);
      puts.add(store.put("c" + i, t));
    }
    await(Future.all(puts));
    await(store.close());
    clock.now = clock.now.plusSeconds(1);
    TurnCipher rotated = TurnCipher.of(List.of(key(2), key(1)));
    store = reopen(rotated);

    // the pass started at open, or a later one once that one is done
    TurnReencryption.Result result = await(store.reencrypt());
    assertThat(result.left()).isZero();
    assertThat(store.reencrypted().resealed()).isEqualTo(1_000);
    assertThat(store.reencrypted().unopenable()).isZero();
    assertThat(store.turnsUnderOlderKeys()).isZero();
    assertThat(column("key_id")).hasSize(1_000).containsOnly(rotated.sealingKeyId());
    await(store.close());

    store = reopen(TurnCipher.of(List.of(key(2))));
    for (int i = 0; i < 1_000; i++) {
      assertThat(await(store.find("acme", "s" + (i % 13), "c" + i)))
          .isEqualTo(new TurnStore.Lookup.Found(turns.get(i)));
    }
  }

  @Test
  void nodesSharingOneStoreReadEveryTurnWhileTheyReencryptTheSameRows() throws Exception {
    List<JdbcTurnStore> nodes = new ArrayList<>();
    try {
      String url = sharedUrl("shared", "");
      assertThat(JdbcTurnStore.compactable(url)).as("never compacted under other nodes").isFalse();
      JdbcTurnStore first = open(url, cipher);
      java.util.Map<String, Interaction> turns = new java.util.concurrent.ConcurrentHashMap<>();
      List<Future<Void>> puts = new ArrayList<>();
      for (int i = 0; i < 1_500; i++) {
        Interaction t = turn("acme", "s" + (i % 11), i, "echo " + i);
        turns.put("s" + (i % 11) + "/c" + i, t);
        puts.add(first.put("c" + i, t));
      }
      await(Future.all(puts));
      await(first.close());

      // A rolling rotation: two nodes list the new key first, one still the old key first.
      clock.now = clock.now.plusSeconds(1);
      TurnCipher rotated = TurnCipher.of(List.of(key(2), key(1)));
      JdbcTurnStore a = open(url, rotated);
      nodes.add(a);
      JdbcTurnStore b = open(url, rotated);
      nodes.add(b);
      JdbcTurnStore behind = open(url, TurnCipher.of(List.of(key(1), key(2))));
      nodes.add(behind);
      Future<TurnReencryption.Result> passA = a.reencrypt();
      Future<TurnReencryption.Result> passB = b.reencrypt();
      Future<TurnReencryption.Result> passBehind = behind.reencrypt();
      puts.clear();
      for (int i = 1_500; i < 1_700; i++) {
        Interaction t = turn("acme", "s" + (i % 11), i, "echo " + i);
        turns.put("s" + (i % 11) + "/c" + i, t);
        puts.add((i % 2 == 0 ? behind : a).put("c" + i, t));
      }
      int reads = 0;
      while (!(passA.isComplete() && passB.isComplete()) || reads == 0) {
        for (JdbcTurnStore node : List.of(a, b, behind)) {
          int i = (reads * 37) % 1_500;
          assertThat(await(node.find("acme", "s" + (i % 11), "c" + i)))
              .as("turn c" + i + " during re-encryption")
              .isEqualTo(new TurnStore.Lookup.Found(turns.get("s" + (i % 11) + "/c" + i)));
        }
        reads++;
      }
      await(Future.all(puts));
      await(Future.all(passA, passB, passBehind));
      assertThat(behind.reencrypted().resealed())
          .as("a node still sealing with the old key does not re-seal the new key's rows back")
          .isZero();

      // The old-key-first node is restarted with the new key first; a pass then finishes the job.
      await(behind.close());
      nodes.remove(behind);
      await(Future.all(a.reencrypt(), b.reencrypt()));
      assertThat(columnAt(url, "key_id")).hasSize(1_700).containsOnly(rotated.sealingKeyId());
      assertThat(a.turnsUnderOlderKeys() + b.turnsUnderOlderKeys()).isZero();
      assertThat(a.reencrypted().unopenable() + b.reencrypted().unopenable()).isZero();
      assertThat(a.reencrypted().resealed() + b.reencrypted().resealed())
          .as("each row under the old key re-sealed exactly once, by one node or the other")
          .isEqualTo(1_600);

      JdbcTurnStore newOnly = open(url, TurnCipher.of(List.of(key(2))));
      nodes.add(newOnly);
      for (java.util.Map.Entry<String, Interaction> t : turns.entrySet()) {
        String[] id = t.getKey().split("/");
        assertThat(await(newOnly.find("acme", id[0], id[1])))
            .as(t.getKey())
            .isEqualTo(new TurnStore.Lookup.Found(t.getValue()));
      }
    } finally {
      for (JdbcTurnStore node : nodes) {
        await(node.close());
      }
    }
  }

  @Test
  void aTurnReplacedWhileItsRowIsBeingReencryptedKeepsTheNewerEvent() throws Exception {
    await(store.close());
    store = null;
    String url = sharedUrl("race", ";LOCK_TIMEOUT=30000");
    try {
      Interaction older = turn("acme", "s1", 1, "older");
      JdbcTurnStore first = open(url, cipher);
      await(first.put("c1", older));
      await(first.close());

      // Another node replaces the turn (as a put does: a new event id) and has not committed yet
      // when the re-encryption reads the row and tries to update it.
      Interaction newer = turn("acme", "s1", 2, "newer");
      try (Connection other = DriverManager.getConnection(url)) {
        other.setAutoCommit(false);
        try (java.sql.PreparedStatement u =
            other.prepareStatement(
                "UPDATE af_session_turns SET event_id = ?, event_sealed = ? WHERE turn_id = 'c1'")) {
          u.setString(1, newer.eventId().toString());
          u.setString(
              2,
              cipher
                  .seal(
                      new dev.agentfactory.connectors.event.InteractionCodec().toJson(newer),
                      JdbcTurnStore.aad("acme", "s1", "c1"))
                  .payload());
          assertThat(u.executeUpdate()).isEqualTo(1);
        }
        clock.now = clock.now.plusSeconds(1);
        store = open(url, TurnCipher.of(List.of(key(2), key(1))));
        Future<TurnReencryption.Result> pass = store.reencrypt();
        org.awaitility.Awaitility.await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> blockedSessions(url) > 0);
        other.commit();

        TurnReencryption.Result result = await(pass);
        assertThat(result.resealed()).isZero();
        assertThat(result.raced()).isEqualTo(1);
      }
      assertThat(await(store.find("acme", "s1", "c1")))
          .as("the newer event, not the older one re-sealed over it")
          .isEqualTo(new TurnStore.Lookup.Found(newer));
      assertThat(await(store.reencrypt()).resealed()).as("the next pass re-seals it").isEqualTo(1);
      assertThat(await(store.find("acme", "s1", "c1")))
          .isEqualTo(new TurnStore.Lookup.Found(newer));
    } finally {
      if (store != null) {
        await(store.close());
        store = null;
      }
    }
  }

  @Test
  void aTamperedRowIsSkippedByTheReencryptionAndLeftAsItWas() throws Exception {
    await(store.put("c1", turn("acme", "s1", 1, "ls")));
    await(store.put("c2", turn("acme", "s1", 2, "pwd")));
    await(store.close());
    store = null;
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE af_session_turns SET session_id = 's2' WHERE turn_id = 'c2'");
    }
    clock.now = clock.now.plusSeconds(1);
    TurnCipher rotated = TurnCipher.of(List.of(key(2), key(1)));
    store = reopen(rotated);

    TurnReencryption.Result result = await(store.reencrypt());
    assertThat(result.unopenable()).isEqualTo(1);
    assertThat(result.left()).isEqualTo(1);
    assertThat(store.reencrypted().resealed()).isEqualTo(1);
    assertThat(store.turnsUnderOlderKeys()).isEqualTo(1);
    assertThat(column("key_id")).containsExactly(rotated.sealingKeyId(), cipher.sealingKeyId());
    assertThat(await(store.find("acme", "s1", "c1"))).isInstanceOf(TurnStore.Lookup.Found.class);
  }

  @Test
  void aTamperedOrMovedRowIsATypedErrorNotACrash() throws Exception {
    await(store.put("c1", turn("acme", "s1", 1, "ls")));
    await(store.put("c2", turn("acme", "s1", 2, "pwd")));
    try (Connection c = DriverManager.getConnection(url);
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
    String legacy = storeUrl("legacy");
    Interaction clear = turn("acme", "s1", 1, "mail " + EMAIL);
    try (Connection c = DriverManager.getConnection(legacy);
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
    store = open(legacy, cipher);

    assertThat(await(store.find("acme", "s1", "c1"))).isEqualTo(new TurnStore.Lookup.Found(clear));
    try (Connection c = DriverManager.getConnection(legacy);
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
    await(store.close());
    store = null;
    if (embeddedH2()) {
      String file =
          new String(
              Files.readAllBytes(dir.resolve("legacy").resolve("turns.mv.db")),
              StandardCharsets.ISO_8859_1);
      assertThat(file).as("compacted: no freed page keeps the clear rows").doesNotContain(EMAIL);
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
    return open(url, with);
  }

  private JdbcTurnStore open(String url, TurnCipher with) throws Exception {
    return await(JdbcTurnStore.open(vertx, url, Duration.ofHours(1), with, clock));
  }

  private List<String> column(String name) throws Exception {
    return columnAt(url, name);
  }

  private static List<String> columnAt(String url, String name) throws Exception {
    List<String> values = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url);
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

  static Interaction turn(String tenant, String session, int turn, String command) {
    return Interaction.sandboxCommand(
        tenant, session, turn, "shell", "0", command, "out\n", 0, Duration.ofMillis(3));
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
