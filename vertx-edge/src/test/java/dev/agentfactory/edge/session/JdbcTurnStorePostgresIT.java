package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.edge.store.PostgresServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every {@link JdbcTurnStoreIT} test on a real PostgreSQL server, the store cluster mode shares
 * between nodes: sealed rows, key checks, retention, rotation by several nodes at once, the race of
 * a re-seal with another node's write, the migration of a table from before encryption.
 */
class JdbcTurnStorePostgresIT extends JdbcTurnStoreIT {

  @RegisterExtension static final PostgresServer.PerClass postgres = new PostgresServer.PerClass();

  private final Map<String, String> databases = new HashMap<>();

  @BeforeEach
  void freshDatabases() {
    databases.clear();
  }

  @Override
  String storeUrl(String name) throws Exception {
    String url = databases.get(name);
    if (url == null) {
      url = postgres.server().createDatabase();
      databases.put(name, url);
    }
    return url;
  }

  @Override
  String sharedUrl(String name, String h2Options) throws Exception {
    return storeUrl(name);
  }

  @Override
  int blockedSessions(String url) throws Exception {
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM pg_locks WHERE NOT granted")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void turnsAreWrittenAndFoundAfterTheDatabaseDroppedTheStoresConnection() throws Exception {
    Interaction before = turn("acme", "s1", 1, "ls");
    await(store.put("c1", before));
    assertThat(postgres.server().dropConnections(url)).isEqualTo(1);
    assertThat(await(store.find("acme", "s1", "c1"))).isEqualTo(new TurnStore.Lookup.Found(before));
    Interaction after = turn("acme", "s1", 2, "pwd");
    assertThat(postgres.server().dropConnections(url)).isEqualTo(1);
    await(store.put("c2", after));
    assertThat(await(store.find("acme", "s1", "c2"))).isEqualTo(new TurnStore.Lookup.Found(after));
  }

  @Override
  boolean embeddedH2() {
    return false;
  }
}
