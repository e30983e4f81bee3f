package dev.agentfactory.edge.agent;

import dev.agentfactory.edge.store.JdbcWorker;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An {@link AgentStore} over plain JDBC, in SQL that H2 (in its PostgreSQL mode) and PostgreSQL
 * both run: the embedded default is an H2 file under the node's data directory, a cluster points
 * the same code at PostgreSQL by URL. All JDBC runs on the {@value #POOL} worker pool, one
 * statement batch at a time, never on an event loop.
 *
 * <pre>{@code
 * JdbcAgentStore.open(vertx, JdbcAgentStore.embeddedUrl(dataDir), "sa", "")
 *     .onSuccess(store -> registry = new AgentRegistry(store));
 * }</pre>
 */
public final class JdbcAgentStore implements AgentStore {

  static final String POOL = "agent-store";

  private static final String[] SCHEMA = {
    "CREATE TABLE IF NOT EXISTS af_agents ("
        + " tenant_id VARCHAR(64) NOT NULL, name VARCHAR(64) NOT NULL,"
        + " created_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, name))",
    "CREATE TABLE IF NOT EXISTS af_agent_versions ("
        + " tenant_id VARCHAR(64) NOT NULL, agent_name VARCHAR(64) NOT NULL,"
        + " version INTEGER NOT NULL, content_hash VARCHAR(80) NOT NULL, spec_json TEXT NOT NULL,"
        + " created_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, agent_name, version),"
        + " UNIQUE (tenant_id, agent_name, content_hash),"
        + " FOREIGN KEY (tenant_id, agent_name) REFERENCES af_agents (tenant_id, name))",
    "CREATE TABLE IF NOT EXISTS af_deployments ("
        + " tenant_id VARCHAR(64) NOT NULL, agent_name VARCHAR(64) NOT NULL,"
        + " stable_version INTEGER NOT NULL, canary_version INTEGER, canary_percent INTEGER,"
        + " previous_stable INTEGER, revision BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
        + " PRIMARY KEY (tenant_id, agent_name),"
        + " FOREIGN KEY (tenant_id, agent_name) REFERENCES af_agents (tenant_id, name))"
  };

  private static final String AGENT_QUERY =
      "SELECT a.tenant_id, a.name, a.created_at,"
          + " (SELECT MAX(v.version) FROM af_agent_versions v"
          + "   WHERE v.tenant_id = a.tenant_id AND v.agent_name = a.name) AS latest,"
          + " d.stable_version, d.canary_version, d.canary_percent, d.previous_stable,"
          + " d.revision, d.updated_at"
          + " FROM af_agents a JOIN af_deployments d"
          + " ON d.tenant_id = a.tenant_id AND d.agent_name = a.name";

  private final String url;
  private final String byteOrder;
  private final JdbcWorker jdbc;
  private final AgentSpecCodec codec = new AgentSpecCodec();

  private JdbcAgentStore(Vertx vertx, String url, String user, String password) {
    this.url = url;
    this.byteOrder = JdbcWorker.byteOrder(url);
    this.jdbc = new JdbcWorker(vertx, POOL, url, user, password, "agent store");
  }

  /** The embedded default: an H2 database file {@code agents.mv.db} in {@code dir}. */
  public static String embeddedUrl(Path dir) {
    return "jdbc:h2:file:"
        + dir.toAbsolutePath().normalize().resolve("agents")
        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE";
  }

  /** Connects, creates the tables if they are missing, and returns the store. */
  public static Future<JdbcAgentStore> open(Vertx vertx, String url, String user, String password) {
    JdbcAgentStore store = new JdbcAgentStore(vertx, url, user, password);
    return store
        .run(
            c -> {
              try (Statement s = c.createStatement()) {
                for (String ddl : SCHEMA) {
                  s.execute(ddl);
                }
              }
              return store;
            })
        .recover(e -> store.close().transform(v -> Future.failedFuture(e)));
  }

  @Override
  public Future<Agent> create(AgentVersion first, Deployment deployment) {
    AgentRef ref = first.agent();
    return run(
        c -> {
          try (PreparedStatement a =
              c.prepareStatement(
                  "INSERT INTO af_agents (tenant_id, name, created_at) VALUES (?, ?, ?)")) {
            a.setString(1, ref.tenant());
            a.setString(2, ref.name());
            a.setLong(3, first.createdAt().toEpochMilli());
            a.executeUpdate();
          }
          insertVersion(c, first);
          insertDeployment(c, deployment);
          return new Agent(ref, first.createdAt(), first.number(), deployment);
        });
  }

  @Override
  public Future<Optional<Agent>> agent(AgentRef ref) {
    return run(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(AGENT_QUERY + " WHERE a.tenant_id = ? AND a.name = ?")) {
            s.setString(1, ref.tenant());
            s.setString(2, ref.name());
            List<Agent> found = agents(s);
            return found.stream().findFirst();
          }
        });
  }

  @Override
  public Future<List<Agent>> agents(String tenant) {
    return agents(tenant, Optional.empty(), Integer.MAX_VALUE);
  }

  /**
   * {@inheritDoc} By name in {@link String#compareTo} order, whatever the database's collation
   * ({@link JdbcWorker#byteOrder}): the registry merges the built-in agents into a page and the
   * page's cursor is continued in that order. Names are slugs (ASCII: {@link AgentSpec#SLUG}), so
   * byte order and Java's are the same for every one.
   */
  @Override
  public Future<List<Agent>> agents(String tenant, Optional<String> after, int limit) {
    return run(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  AGENT_QUERY
                      + " WHERE a.tenant_id = ? AND a.name"
                      + byteOrder
                      + " > ? ORDER BY a.name"
                      + byteOrder
                      + " LIMIT ?")) {
            s.setString(1, tenant);
            s.setString(2, after.orElse("")); // names are never empty
            s.setInt(3, limit);
            return agents(s);
          }
        });
  }

  @Override
  public Future<AgentVersion> addVersion(AgentRef ref, AgentSpec spec, String contentHash) {
    return run(
        c -> {
          if (!exists(c, ref)) {
            throw AgentException.notFound("no agent " + ref);
          }
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT version, spec_json, content_hash, created_at FROM af_agent_versions"
                      + " WHERE tenant_id = ? AND agent_name = ? AND content_hash = ?")) {
            s.setString(1, ref.tenant());
            s.setString(2, ref.name());
            s.setString(3, contentHash);
            List<AgentVersion> same = versions(s, ref);
            if (!same.isEmpty()) {
              return same.get(0);
            }
          }
          int next;
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT COALESCE(MAX(version), 0) FROM af_agent_versions"
                      + " WHERE tenant_id = ? AND agent_name = ?")) {
            s.setString(1, ref.tenant());
            s.setString(2, ref.name());
            try (ResultSet rs = s.executeQuery()) {
              rs.next();
              next = rs.getInt(1) + 1;
            }
          }
          // a concurrent writer taking the same number fails the primary key: a conflict
          AgentVersion version = new AgentVersion(ref, next, contentHash, spec, Instant.now());
          insertVersion(c, version);
          return version;
        });
  }

  @Override
  public Future<List<AgentVersion>> versions(AgentRef ref) {
    return run(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT version, spec_json, content_hash, created_at FROM af_agent_versions"
                      + " WHERE tenant_id = ? AND agent_name = ? ORDER BY version")) {
            s.setString(1, ref.tenant());
            s.setString(2, ref.name());
            return versions(s, ref);
          }
        });
  }

  @Override
  public Future<Optional<AgentVersion>> version(AgentRef ref, int number) {
    return run(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT version, spec_json, content_hash, created_at FROM af_agent_versions"
                      + " WHERE tenant_id = ? AND agent_name = ? AND version = ?")) {
            s.setString(1, ref.tenant());
            s.setString(2, ref.name());
            s.setInt(3, number);
            return versions(s, ref).stream().findFirst();
          }
        });
  }

  @Override
  public Future<Deployment> updateDeployment(long expectedRevision, Deployment next) {
    if (next.revision() != expectedRevision + 1) {
      return Future.failedFuture(
          new IllegalArgumentException("the new revision must be expectedRevision + 1"));
    }
    AgentRef ref = next.agent();
    return run(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "UPDATE af_deployments SET stable_version = ?, canary_version = ?,"
                      + " canary_percent = ?, previous_stable = ?, revision = ?, updated_at = ?"
                      + " WHERE tenant_id = ? AND agent_name = ? AND revision = ?")) {
            deploymentColumns(s, next);
            s.setString(7, ref.tenant());
            s.setString(8, ref.name());
            s.setLong(9, expectedRevision);
            if (s.executeUpdate() != 1) {
              throw AgentException.conflict(
                  "the deployment of " + ref + " changed concurrently; read it again and retry");
            }
          }
          return next;
        });
  }

  /** Fails when the database does not answer (for {@code /health}). */
  public Future<Void> ping() {
    return jdbc.ping();
  }

  @Override
  public Future<Void> close() {
    return jdbc.close();
  }

  // ---- JDBC, on the worker thread only ----

  /** Runs {@code work} in one transaction on the worker, mapping SQL failures to codes. */
  private <T> Future<T> run(JdbcWorker.Work<T> work) {
    return jdbc.run(work).recover(e -> Future.failedFuture(translate(e)));
  }

  private static Throwable translate(Throwable e) {
    if (e instanceof AgentException) {
      return e;
    }
    if (e instanceof SQLException sql
        && sql.getSQLState() != null
        && sql.getSQLState().startsWith("23")) {
      return new AgentException(
          AgentException.Code.CONFLICT, "already exists or changed concurrently", null, e);
    }
    return new AgentException(
        AgentException.Code.STORE_UNAVAILABLE, "agent store failed: " + e.getMessage(), null, e);
  }

  private static boolean exists(Connection c, AgentRef ref) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement("SELECT 1 FROM af_agents WHERE tenant_id = ? AND name = ?")) {
      s.setString(1, ref.tenant());
      s.setString(2, ref.name());
      try (ResultSet rs = s.executeQuery()) {
        return rs.next();
      }
    }
  }

  private void insertVersion(Connection c, AgentVersion v) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO af_agent_versions (tenant_id, agent_name, version, content_hash,"
                + " spec_json, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
      s.setString(1, v.agent().tenant());
      s.setString(2, v.agent().name());
      s.setInt(3, v.number());
      s.setString(4, v.contentHash());
      s.setString(5, codec.toJson(v.spec()));
      s.setLong(6, v.createdAt().toEpochMilli());
      s.executeUpdate();
    }
  }

  private static void insertDeployment(Connection c, Deployment d) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO af_deployments (stable_version, canary_version, canary_percent,"
                + " previous_stable, revision, updated_at, tenant_id, agent_name)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      deploymentColumns(s, d);
      s.setString(7, d.agent().tenant());
      s.setString(8, d.agent().name());
      s.executeUpdate();
    }
  }

  private static void deploymentColumns(PreparedStatement s, Deployment d) throws SQLException {
    s.setInt(1, d.stableVersion());
    if (d.canary().isPresent()) {
      s.setInt(2, d.canary().get().version());
      s.setInt(3, d.canary().get().percent());
    } else {
      s.setNull(2, Types.INTEGER);
      s.setNull(3, Types.INTEGER);
    }
    if (d.previousStable().isPresent()) {
      s.setInt(4, d.previousStable().getAsInt());
    } else {
      s.setNull(4, Types.INTEGER);
    }
    s.setLong(5, d.revision());
    s.setLong(6, d.updatedAt().toEpochMilli());
  }

  private static List<Agent> agents(PreparedStatement s) throws SQLException {
    List<Agent> agents = new ArrayList<>();
    try (ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        AgentRef ref = new AgentRef(rs.getString(1), rs.getString(2));
        int canaryVersion = rs.getInt(6);
        Optional<Deployment.Canary> canary =
            rs.wasNull()
                ? Optional.empty()
                : Optional.of(new Deployment.Canary(canaryVersion, rs.getInt(7)));
        int previous = rs.getInt(8);
        OptionalInt previousStable = rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(previous);
        Deployment deployment =
            new Deployment(
                ref,
                rs.getInt(5),
                canary,
                previousStable,
                rs.getLong(9),
                Instant.ofEpochMilli(rs.getLong(10)));
        agents.add(new Agent(ref, Instant.ofEpochMilli(rs.getLong(3)), rs.getInt(4), deployment));
      }
    }
    return agents;
  }

  private List<AgentVersion> versions(PreparedStatement s, AgentRef ref) throws SQLException {
    List<AgentVersion> versions = new ArrayList<>();
    try (ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        versions.add(
            new AgentVersion(
                ref,
                rs.getInt(1),
                rs.getString(3),
                codec.parseStoredJson(rs.getString(2)),
                Instant.ofEpochMilli(rs.getLong(4))));
      }
    }
    return versions;
  }

  @Override
  public String toString() {
    return "JdbcAgentStore[" + JdbcWorker.redactUrl(url) + "]";
  }
}
