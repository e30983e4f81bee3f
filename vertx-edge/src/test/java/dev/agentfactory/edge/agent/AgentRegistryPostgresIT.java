package dev.agentfactory.edge.agent;

import dev.agentfactory.edge.store.PostgresServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every {@link AgentRegistryIT} test on a real PostgreSQL server, a database of its own per test:
 * the store's SQL runs unchanged on the database that cluster mode shares between nodes. The
 * databases do not compare text in byte order, as a default installation's do not (it takes the
 * system's locale, en_US.UTF-8 say, which sets punctuation aside at first): ICU's en-US with
 * punctuation shifted ({@code ka-shifted}), which orders slugs as glibc's en_US.UTF-8 does ({@code
 * "ab" < "a-c"}) and is there wherever Debian's package is, unlike that locale.
 */
class AgentRegistryPostgresIT extends AgentRegistryIT {

  static final String NOT_BYTE_ORDER =
      "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US-u-ka-shifted'";

  @RegisterExtension static final PostgresServer.PerClass postgres = new PostgresServer.PerClass();

  @Override
  String storeUrl() throws Exception {
    return postgres.server().createDatabase(NOT_BYTE_ORDER);
  }

  @Override
  String storeUser() {
    return "af";
  }
}
