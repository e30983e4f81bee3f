package dev.agentfactory.edge.session;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The turns of a table written before encryption (column {@code event_json}, in clear), which the
 * store seals in place when it opens it. Runs on the store's JDBC worker.
 */
final class ClearTurns {

  private static final Logger LOG = LoggerFactory.getLogger(ClearTurns.class);

  private ClearTurns() {}

  /** Whether the table is from before encryption: it still has the column {@code event_json}. */
  static boolean present(Connection c) throws SQLException {
    for (String[] names :
        new String[][] {{"af_session_turns", "event_json"}, {"AF_SESSION_TURNS", "EVENT_JSON"}}) {
      try (ResultSet cols = c.getMetaData().getColumns(null, null, names[0], names[1])) {
        if (cols.next()) {
          return true;
        }
      }
    }
    return false;
  }

  /** The columns a table from before encryption lacks, so the key check can run on it. */
  static void addSealedColumns(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("ALTER TABLE af_session_turns ADD COLUMN IF NOT EXISTS key_id VARCHAR(32)");
      s.execute("ALTER TABLE af_session_turns ADD COLUMN IF NOT EXISTS event_sealed TEXT");
    }
  }

  /**
   * Seals the rows of a table written before encryption (column {@code event_json}, in clear) and
   * drops that column: a node of the previous release leaves no event in clear. Returns how many
   * rows it sealed.
   */
  static int seal(Connection c, TurnCipher cipher) throws SQLException {
    // In the worker's transaction; H2 commits at each ALTER, so a stop half way leaves rows with
    // event_sealed still null, which the next open seals.
    try (Statement s = c.createStatement()) {
      int sealed = 0;
      try (PreparedStatement q =
              c.prepareStatement(
                  "SELECT tenant_id, session_id, turn_id, event_json FROM af_session_turns"
                      + " WHERE event_sealed IS NULL");
          PreparedStatement u =
              c.prepareStatement(
                  "UPDATE af_session_turns SET key_id = ?, event_sealed = ?"
                      + " WHERE tenant_id = ? AND session_id = ? AND turn_id = ?");
          ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          TurnCipher.Sealed row =
              cipher.seal(
                  rs.getString(4).getBytes(StandardCharsets.UTF_8),
                  JdbcTurnStore.aad(rs.getString(1), rs.getString(2), rs.getString(3)));
          u.setString(1, row.keyId());
          u.setString(2, row.payload());
          u.setString(3, rs.getString(1));
          u.setString(4, rs.getString(2));
          u.setString(5, rs.getString(3));
          u.addBatch();
          sealed++;
        }
        u.executeBatch();
      }
      s.execute("ALTER TABLE af_session_turns DROP COLUMN event_json");
      LOG.info("sealed {} session turns stored in clear by an earlier release", sealed);
      return sealed;
    }
  }
}
