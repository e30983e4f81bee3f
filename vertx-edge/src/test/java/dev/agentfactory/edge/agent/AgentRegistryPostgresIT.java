package dev.agentfactory.edge.agent;

import dev.agentfactory.edge.store.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Every {@link AgentRegistryIT} test on a real PostgreSQL server, a database of its own per test:
 * the store's SQL runs unchanged on the database that cluster mode shares between nodes.
 */
class AgentRegistryPostgresIT extends AgentRegistryIT {

  private static PostgresServer postgres;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = PostgresServer.start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Override
  String storeUrl() throws Exception {
    return postgres.createDatabase();
  }

  @Override
  String storeUser() {
    return "af";
  }
}
