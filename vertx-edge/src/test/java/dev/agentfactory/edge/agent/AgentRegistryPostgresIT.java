package dev.agentfactory.edge.agent;

import dev.agentfactory.edge.store.PostgresServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every {@link AgentRegistryIT} test on a real PostgreSQL server, a database of its own per test:
 * the store's SQL runs unchanged on the database that cluster mode shares between nodes.
 */
class AgentRegistryPostgresIT extends AgentRegistryIT {

  @RegisterExtension static final PostgresServer.PerClass postgres = new PostgresServer.PerClass();

  @Override
  String storeUrl() throws Exception {
    return postgres.server().createDatabase();
  }

  @Override
  String storeUser() {
    return "af";
  }
}
