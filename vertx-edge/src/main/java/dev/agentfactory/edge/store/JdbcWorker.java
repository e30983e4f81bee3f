package dev.agentfactory.edge.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JDBC connection confined to a one-thread Vert.x worker pool: the edge's stores (agents,
 * session turns) run every statement here, never on an event loop, each call in one transaction.
 * The connection opens on first use and again after it broke; work that failed because the database
 * dropped the connection (a restart, a failover, an idle timeout: SQL state class {@code 08} or
 * {@code 57P}) runs once more on a new one, since nothing of it was committed.
 *
 * <pre>{@code
 * JdbcWorker jdbc = new JdbcWorker(vertx, "af-agent-store", url, null, null, "agent store");
 * jdbc.run(c -> c.createStatement().execute("SELECT 1"));
 * }</pre>
 */
public final class JdbcWorker {

  private static final Logger LOG = LoggerFactory.getLogger(JdbcWorker.class);

  /** Work on the worker's connection, inside its transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T apply(Connection c) throws Exception;
  }

  private final String url;
  private final String user;
  private final String password;
  private final String what;
  private final WorkerExecutor worker;
  private Connection connection; // confined to the single worker thread

  /**
   * @param pool the worker pool's name (one thread)
   * @param user null to take it from the URL, as {@code password}
   * @param what what the store is, for the error when the database cannot be reached
   */
  public JdbcWorker(
      Vertx vertx, String pool, String url, String user, String password, String what) {
    this.url = withTimeouts(url);
    this.user = user;
    this.password = password;
    this.what = what;
    this.worker = vertx.createSharedWorkerExecutor(pool, 1);
  }

  /**
   * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws
   * (the failure is passed on as it is). A connection that cannot even roll back is dropped, so the
   * next call reconnects. If the work failed because the connection was lost, it runs once more on
   * a new connection (a failed commit is not repeated: whether it took effect is unknown).
   */
  public <T> Future<T> run(Work<T> work) {
    Callable<T> task = () -> attempt(work, true);
    return worker.executeBlocking(task, true);
  }

  private <T> T attempt(Work<T> work, boolean mayRetry) throws Exception {
    Connection c = connection();
    T result;
    try {
      result = work.apply(c);
    } catch (Exception e) {
      rollbackOrDrop(c);
      if (mayRetry && connectionLost(e)) {
        drop(c);
        LOG.warn(
            "the {} lost its database connection ({}); running the work again on a new one",
            what,
            e.getMessage());
        return attempt(work, false);
      }
      throw e;
    }
    try {
      c.commit();
    } catch (SQLException e) {
      rollbackOrDrop(c);
      throw e;
    }
    return result;
  }

  private void rollbackOrDrop(Connection c) {
    try {
      c.rollback();
    } catch (SQLException broken) {
      drop(c);
    }
  }

  private void drop(Connection c) {
    connection = null;
    try {
      c.close();
    } catch (SQLException closedAlready) {
      // it is gone either way
    }
  }

  /**
   * Whether {@code e} (or a cause) says the connection to the database is gone: SQL state class
   * {@code 08} (connection exception) or PostgreSQL's {@code 57P01}–{@code 57P03} (the server is
   * shutting down or terminated the connection).
   */
  public static boolean connectionLost(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.startsWith("08") || state.startsWith("57P")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Runs {@code work} after committing, on a connection it may close or shut the database under
   * (H2's {@code SHUTDOWN COMPACT}); the connection is dropped afterwards, so the next call
   * reconnects.
   */
  public Future<Void> runThenReconnect(Work<?> work) {
    Callable<Void> task =
        () -> {
          Connection c = connection();
          try {
            c.commit(); // a connection that cannot commit is dropped too
            work.apply(c);
          } finally {
            try {
              c.close();
            } catch (SQLException closedAlready) {
              // the work closed the database: the connection is gone either way
            }
            connection = null;
          }
          return null;
        };
    return worker.executeBlocking(task, true);
  }

  /** Closes the connection, then the worker pool. */
  /**
   * Checks that the database answers (the driver's {@code isValid}, 5 s), reconnecting once if the
   * connection was lost, like any other work: for {@code /health}.
   */
  public Future<Void> ping() {
    return run(
        c -> {
          if (!c.isValid(5)) {
            throw new SQLException("the " + what + " did not answer within 5 s", "08006");
          }
          return null;
        });
  }

  public Future<Void> close() {
    return worker
        .<Void>executeBlocking(
            () -> {
              if (connection != null) {
                connection.close();
                connection = null;
              }
              return null;
            },
            true)
        .eventually(worker::close);
  }

  /**
   * PostgreSQL's driver waits for a silent database for ever by default ({@code socketTimeout=0}):
   * one store call during a network partition would hold the store's only worker thread, and every
   * later call would queue behind it, without an error. So a {@code jdbc:postgresql:} URL gets the
   * driver's timeouts it does not set itself: {@value #POSTGRES_DEFAULTS} (seconds). A statement
   * cut off that way counts as a lost connection ({@link #connectionLost}) and runs once more on a
   * new connection. Other URLs (H2) are returned unchanged.
   */
  public static String withTimeouts(String url) {
    if (!url.startsWith("jdbc:postgresql:")) {
      return url;
    }
    StringBuilder out = new StringBuilder(url);
    char separator = url.indexOf('?') < 0 ? '?' : '&';
    for (String param : POSTGRES_DEFAULTS.split("&")) {
      String name = param.substring(0, param.indexOf('=') + 1); // the driver's names have case
      if (!url.contains("?" + name) && !url.contains("&" + name)) {
        out.append(separator).append(param);
        separator = '&';
      }
    }
    return out.toString();
  }

  /**
   * What follows a string column in a comparison or an {@code ORDER BY} on the database of {@code
   * url} so that it orders as {@link String#compareTo} does: {@code COLLATE "C"} on PostgreSQL,
   * nothing elsewhere. PostgreSQL compares text by the database's collation, which on a default
   * installation is the system locale's (en_US.UTF-8: case and punctuation count last, so {@code
   * "ab" < "a-c"}), while a page cursor or a merge in Java compares code units ({@code "a-c" <
   * "ab"}); a page continued after a key in one order and read from the database in the other skips
   * or repeats rows. {@code "C"} compares the UTF-8 bytes, which is Java's order for every string
   * without characters beyond U+FFFF (UTF-16 puts those, as surrogates, before U+E000 to U+FFFF;
   * UTF-8 after). H2 compares strings as Java does already and accepts no {@code COLLATE} in an
   * expression.
   */
  public static String byteOrder(String url) {
    return url.startsWith("jdbc:postgresql:") ? " COLLATE \"C\"" : "";
  }

  /** The driver timeouts {@link #withTimeouts} adds where a PostgreSQL URL has none. */
  public static final String POSTGRES_DEFAULTS =
      "connectTimeout=10&socketTimeout=60&tcpKeepAlive=true";

  /** The URL with any {@code password=} value replaced, for logs and errors. */
  public static String redactUrl(String url) {
    return url.replaceAll("(?i)(password=)[^;&]*", "$1***");
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) {
      try {
        connection =
            user == null
                ? DriverManager.getConnection(url)
                : DriverManager.getConnection(url, user, password);
        connection.setAutoCommit(false);
      } catch (SQLException e) {
        // the driver's own reason (connection refused, authentication failed) goes into the
        // message: it is the one line a node's start-up error shows
        throw new SQLException(
            "cannot open the " + what + " at " + redactUrl(url) + ": " + e.getMessage(),
            e.getSQLState(),
            e);
      }
    }
    return connection;
  }
}
