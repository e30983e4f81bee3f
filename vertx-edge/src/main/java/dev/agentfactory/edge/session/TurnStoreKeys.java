package dev.agentfactory.edge.session;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * The keys a session turn store was sealed with, as the store itself records them: the turns per
 * key id, and a registry ({@code af_session_turn_keys}) of each key id's check value (a constant
 * sealed with that key: a key id is a hash of the key, the check value proves the key) and the time
 * it first sealed. Every call runs on the store's JDBC worker, in its transaction.
 *
 * <p>The registry orders keys for re-encryption: a node re-seals the rows of keys that sealed
 * before its own first key, never those of a newer one. So during a rolling rotation a node that
 * still lists the old key first does not re-seal the new key's rows back.
 */
final class TurnStoreKeys {

  static final String SCHEMA =
      "CREATE TABLE IF NOT EXISTS af_session_turn_keys ("
          + " key_id VARCHAR(32) NOT NULL PRIMARY KEY, key_check TEXT NOT NULL,"
          + " sealing_since BIGINT NOT NULL)";

  /** Makes the per-key counts and the re-encryption's selection cheap. */
  static final String INDEX =
      "CREATE INDEX IF NOT EXISTS af_session_turns_key_id ON af_session_turns (key_id)";

  private static final byte[] CHECK =
      "agent-factory session turn store key check".getBytes(StandardCharsets.US_ASCII);

  /** A registered key: its check value and when it first sealed (0: found in older rows). */
  record Registered(String check, long sealingSince) {}

  /** The turns per key id; the rows of the key ids this node lacks are {@code missing}. */
  record Census(Map<String, Long> turnsByKey, Map<String, Long> missing) {}

  private final TurnCipher cipher;
  private final LongSupplier oldest;

  /**
   * @param oldest the time (epoch ms) of the oldest turn within the retention: older turns are
   *     swept away unread, so they neither block a start nor count as left to re-encrypt
   */
  TurnStoreKeys(TurnCipher cipher, LongSupplier oldest) {
    this.cipher = cipher;
    this.oldest = oldest;
  }

  static void createSchema(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(SCHEMA);
      // PostgreSQL takes a SHARE lock on the table for CREATE INDEX IF NOT EXISTS even when the
      // index exists, which waits for every open write of the other nodes (and queues their next
      // writes behind it): a starting node asks the catalogue first.
      if (!indexExists(c)) {
        s.execute(INDEX);
      }
    }
  }

  private static boolean indexExists(Connection c) throws SQLException {
    for (String table : new String[] {"af_session_turns", "AF_SESSION_TURNS"}) {
      try (ResultSet rs = c.getMetaData().getIndexInfo(null, null, table, false, true)) {
        while (rs.next()) {
          if ("af_session_turns_key_id".equalsIgnoreCase(rs.getString("INDEX_NAME"))) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * Counts the turns within the retention per key id (rows of a table from before encryption not
   * yet sealed aside).
   */
  Census census(Connection c) throws SQLException {
    Map<String, Long> byKey = new LinkedHashMap<>();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT key_id, COUNT(*) FROM af_session_turns WHERE key_id IS NOT NULL"
                + " AND recorded_at >= ? GROUP BY key_id")) {
      s.setLong(1, oldest.getAsLong());
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          byKey.put(rs.getString(1), rs.getLong(2));
        }
      }
    }
    Map<String, Long> missing = new LinkedHashMap<>();
    byKey.forEach(
        (id, n) -> {
          if (!cipher.holds(id)) {
            missing.put(id, n);
          }
        });
    return new Census(byKey, missing);
  }

  static Map<String, Registered> registered(Connection c) throws SQLException {
    Map<String, Registered> keys = new HashMap<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT key_id, key_check, sealing_since FROM af_session_turn_keys")) {
      while (rs.next()) {
        keys.put(rs.getString(1), new Registered(rs.getString(2), rs.getLong(3)));
      }
    }
    return keys;
  }

  /**
   * Checks, without changing anything, that this node reads every turn: every key id the store has
   * turns under is one of this node's, and each of its keys the store registered opens that key's
   * check value.
   *
   * @throws TurnStoreKeyException naming the missing or wrong key ids
   */
  void check(Connection c, String store) throws SQLException {
    Census census = census(c);
    Set<String> wrong = new TreeSet<>();
    registered(c)
        .forEach(
            (id, key) -> {
              if (cipher.holds(id) && !opensCheck(id, key.check())) {
                wrong.add(id);
              }
            });
    if (!census.missing().isEmpty() || !wrong.isEmpty()) {
      throw new TurnStoreKeyException(store, census.missing(), wrong, cipher.keyIds());
    }
  }

  /**
   * Registers this node's first key (sealing from {@code now}) and the keys of its own it finds
   * turns under that a store from before the registry did not register (sealing since 0: older).
   * Two nodes may register the same key at once: the loser's insert fails on the primary key, and
   * the caller runs this again.
   */
  void register(Connection c, long now) throws SQLException {
    Map<String, Registered> known = registered(c);
    Map<String, Long> add = new LinkedHashMap<>();
    if (!known.containsKey(cipher.sealingKeyId())) {
      add.put(cipher.sealingKeyId(), now);
    }
    for (String id : census(c).turnsByKey().keySet()) {
      if (cipher.holds(id) && !known.containsKey(id) && !add.containsKey(id)) {
        add.put(id, 0L);
      }
    }
    if (add.isEmpty()) {
      return;
    }
    try (PreparedStatement i =
        c.prepareStatement(
            "INSERT INTO af_session_turn_keys (key_id, key_check, sealing_since)"
                + " VALUES (?, ?, ?)")) {
      for (Map.Entry<String, Long> e : add.entrySet()) {
        i.setString(1, e.getKey());
        i.setString(2, cipher.sealWith(e.getKey(), CHECK, checkAad(e.getKey())).payload());
        i.setLong(3, e.getValue());
        i.addBatch();
      }
      i.executeBatch();
    }
  }

  /**
   * The key ids whose turns this node re-seals with its first key: its own keys other than the
   * first that sealed before the first did (or were never registered), and that have turns.
   */
  Set<String> older(Connection c, Census census) throws SQLException {
    Map<String, Registered> known = registered(c);
    Registered mine = known.get(cipher.sealingKeyId());
    long since = mine == null ? Long.MAX_VALUE : mine.sealingSince();
    Set<String> older = new LinkedHashSet<>();
    for (String id : census.turnsByKey().keySet()) {
      Registered key = known.get(id);
      if (!id.equals(cipher.sealingKeyId())
          && cipher.holds(id)
          && (key == null || key.sealingSince() < since)) {
        older.add(id);
      }
    }
    return older;
  }

  private boolean opensCheck(String keyId, String check) {
    try {
      return Arrays.equals(cipher.open(keyId, check, checkAad(keyId)), CHECK);
    } catch (TurnCipher.UnopenablePayloadException e) {
      return false;
    }
  }

  private static byte[] checkAad(String keyId) {
    return ("key check\0" + keyId).getBytes(StandardCharsets.US_ASCII);
  }

  /** Whether {@code e} is a unique-key violation (SQLSTATE class 23, H2 and PostgreSQL alike). */
  static boolean isDuplicate(SQLException e) {
    for (SQLException x = e; x != null; x = x.getNextException()) {
      if (x.getSQLState() != null && x.getSQLState().startsWith("23")) {
        return true;
      }
    }
    return e.getCause() instanceof SQLException cause && cause != e && isDuplicate(cause);
  }
}
