package dev.agentfactory.edge.auth;

import dev.agentfactory.edge.store.JdbcWorker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Durable API keys over JDBC: an embedded H2 file under the data dir by default, any JDBC URL (e.g.
 * PostgreSQL, shared by every node of a cluster) by configuration. Blocking: callers run it on a
 * worker pool, never on an event loop.
 */
public final class ApiKeyStore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ApiKeyStore.class);

  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final String SELECT =
      "SELECT id, tenant, name, hash, created_at, revoked_at FROM api_keys";

  /** A new key: what was stored, and the secret, which exists only in this record. */
  public record Created(ApiKey key, String secret) {}

  /** A statement run on the store's connection. */
  @FunctionalInterface
  private interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  private final String url;
  private Connection connection; // guarded by this

  private ApiKeyStore(String url) throws SQLException {
    this.url = JdbcWorker.withTimeouts(url);
    this.connection = DriverManager.getConnection(this.url);
    try (var st = connection.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS api_keys ("
              + " id VARCHAR(80) PRIMARY KEY,"
              + " tenant VARCHAR(64) NOT NULL,"
              + " name VARCHAR(128) NOT NULL,"
              + " hash CHAR(64) NOT NULL UNIQUE,"
              + " created_at TIMESTAMP WITH TIME ZONE NOT NULL,"
              + " revoked_at TIMESTAMP WITH TIME ZONE)");
    }
  }

  /** The embedded default: an H2 database file in {@code dir}. */
  public static ApiKeyStore embedded(Path dir) throws SQLException {
    return open("jdbc:h2:file:" + dir.resolve("keys").toAbsolutePath() + ";DB_CLOSE_ON_EXIT=FALSE");
  }

  public static ApiKeyStore open(String jdbcUrl) throws SQLException {
    return new ApiKeyStore(jdbcUrl);
  }

  /**
   * Runs {@code work} on the connection; if the database dropped it (a restart, a failover, an idle
   * timeout: {@link JdbcWorker#connectionLost}), once more on a new one. Each statement commits on
   * its own; one that failed that way normally did not commit. If the drop came between the commit
   * and its answer, a retried {@link #create} leaves one unused key row behind, whose secret nobody
   * ever saw (it authenticates nothing), and a retried revoke changes nothing.
   */
  private <T> T run(Work<T> work) throws SQLException {
    try {
      return work.apply(connection);
    } catch (SQLException e) {
      if (!JdbcWorker.connectionLost(e)) {
        throw e;
      }
      LOG.warn("the API key store lost its database connection ({}); reconnecting", e.getMessage());
      try {
        connection.close();
      } catch (SQLException closedAlready) {
        // it is gone either way
      }
      connection = DriverManager.getConnection(url);
      return work.apply(connection);
    }
  }

  public synchronized Created create(String tenant, String name) throws SQLException {
    String secret = "af_" + random(40);
    ApiKey key =
        new ApiKey(
            "key_" + random(16), tenant, name, sha256(secret), Instant.now(), Optional.empty());
    return run(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement(
                  "INSERT INTO api_keys (id, tenant, name, hash, created_at) VALUES (?, ?, ?, ?,"
                      + " ?)")) {
            st.setString(1, key.id());
            st.setString(2, key.tenant());
            st.setString(3, key.name());
            st.setString(4, key.hash());
            st.setTimestamp(5, Timestamp.from(key.createdAt()));
            st.executeUpdate();
          }
          return new Created(key, secret);
        });
  }

  /** Revokes a key; false if there is no such key. Revoking twice keeps the first time. */
  public synchronized boolean revoke(String id) throws SQLException {
    return run(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement(
                  "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?")) {
            st.setTimestamp(1, Timestamp.from(Instant.now().truncatedTo(ApiKey.PRECISION)));
            st.setString(2, id);
            return st.executeUpdate() == 1;
          }
        });
  }

  /** Throws when the database does not answer (for {@code /health}); blocking. */
  public synchronized void ping() throws SQLException {
    run(
        c -> {
          if (!c.isValid(5)) {
            throw new SQLException("the API key store did not answer within 5 s", "08006");
          }
          return null;
        });
  }

  public synchronized List<ApiKey> all() throws SQLException {
    return run(
        c -> {
          try (PreparedStatement st = c.prepareStatement(SELECT + " ORDER BY created_at, id")) {
            return keys(st);
          }
        });
  }

  /**
   * Up to {@code limit} keys in creation order (ties by id), after the key {@code afterId} if
   * given; empty if there is no key {@code afterId} (keys are revoked, never deleted, so a listing
   * never loses its place).
   */
  public synchronized Optional<List<ApiKey>> page(Optional<String> afterId, int limit)
      throws SQLException {
    return run(
        c -> {
          if (afterId.isEmpty()) {
            try (PreparedStatement st =
                c.prepareStatement(SELECT + " ORDER BY created_at, id LIMIT ?")) {
              st.setInt(1, limit);
              return Optional.of(keys(st));
            }
          }
          Timestamp after;
          try (PreparedStatement st =
              c.prepareStatement("SELECT created_at FROM api_keys WHERE id = ?")) {
            st.setString(1, afterId.get());
            try (ResultSet rs = st.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              after = rs.getTimestamp(1);
            }
          }
          try (PreparedStatement st =
              c.prepareStatement(
                  SELECT
                      + " WHERE created_at > ? OR (created_at = ? AND id > ?)"
                      + " ORDER BY created_at, id LIMIT ?")) {
            st.setTimestamp(1, after);
            st.setTimestamp(2, after);
            st.setString(3, afterId.get());
            st.setInt(4, limit);
            return Optional.of(keys(st));
          }
        });
  }

  private static List<ApiKey> keys(PreparedStatement st) throws SQLException {
    List<ApiKey> keys = new ArrayList<>();
    try (ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        Timestamp revoked = rs.getTimestamp(6);
        keys.add(
            new ApiKey(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getTimestamp(5).toInstant(),
                Optional.ofNullable(revoked).map(Timestamp::toInstant)));
      }
    }
    return keys;
  }

  static String sha256(String secret) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }

  private static String random(int length) {
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  @Override
  public synchronized void close() throws SQLException {
    connection.close();
  }
}
