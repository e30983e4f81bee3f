package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.edge.agent.AgentRef;
import dev.agentfactory.edge.agent.AgentRegistry;
import dev.agentfactory.edge.agent.AgentSpecCodec;
import dev.agentfactory.edge.agent.JdbcAgentStore;
import dev.agentfactory.edge.auth.ApiKey;
import dev.agentfactory.edge.auth.ApiKeyStore;
import dev.agentfactory.edge.store.PostgresServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cluster mode's shared stores on a real PostgreSQL server, as two nodes see them: what one node
 * writes the other reads, and a store keeps working after the database drops its connection.
 */
class PostgresStoresIT {

  @RegisterExtension static final PostgresServer.PerClass postgres = new PostgresServer.PerClass();

  private Vertx vertx;
  private String url;

  @BeforeEach
  void open() throws Exception {
    vertx = Vertx.vertx();
    url = postgres.server().createDatabase();
  }

  @AfterEach
  void close() throws Exception {
    await(vertx.close());
  }

  @Test
  void aKeyCreatedOnOneNodeIsAcceptedAndRevokedFromTheOther() throws Exception {
    try (ApiKeyStore a = ApiKeyStore.open(url);
        ApiKeyStore b = ApiKeyStore.open(url)) {
      ApiKeyStore.Created created = a.create("acme", "ci");
      assertThat(b.all())
          .singleElement()
          .satisfies(
              k -> {
                assertThat(k.id()).isEqualTo(created.key().id());
                assertThat(k.tenant()).isEqualTo("acme");
                assertThat(k.createdAt()).isEqualTo(created.key().createdAt());
                assertThat(k.revokedAt()).isEmpty();
              });
      assertThat(b.revoke(created.key().id())).isTrue();
      assertThat(b.revoke("key_unknown")).isFalse();
      ApiKey revoked = a.all().get(0);
      assertThat(revoked.revokedAt()).as("revoked on the other node").isPresent();
      assertThat(a.revoke(created.key().id())).isTrue();
      assertThat(b.all().get(0).revokedAt())
          .as("revoking twice keeps the first time")
          .isEqualTo(revoked.revokedAt());
    }
  }

  @Test
  void theKeyStoreReconnectsAfterTheDatabaseDroppedItsConnection() throws Exception {
    try (ApiKeyStore store = ApiKeyStore.open(url)) {
      store.create("acme", "before");
      assertThat(postgres.server().dropConnections(url)).isEqualTo(1);
      store.create("acme", "after");
      assertThat(store.all()).extracting(ApiKey::name).containsExactly("before", "after");
    }
  }

  @Test
  void theAgentStoreKeepsWorkingAfterTheDatabaseDroppedItsConnection() throws Exception {
    AgentSpecCodec codec = new AgentSpecCodec();
    JdbcAgentStore a = await(JdbcAgentStore.open(vertx, url, "af", ""));
    JdbcAgentStore b = await(JdbcAgentStore.open(vertx, url, "af", ""));
    try {
      AgentRegistry onA = new AgentRegistry(a);
      AgentRegistry onB = new AgentRegistry(b);
      await(onA.create("default", codec.readResource("agents/math.json")));
      assertThat(await(onB.get(AgentRef.of("math"))).deployment().stableVersion()).isEqualTo(1);

      assertThat(postgres.server().dropConnections(url)).isEqualTo(2);
      assertThat(await(onB.versions(AgentRef.of("math")))).hasSize(1);
      assertThat(await(onA.list("default"))).hasSize(1);
    } finally {
      await(a.close());
      await(b.close());
    }
  }

  @Test
  void duringADatabaseRestartCallsFailWithATypedErrorAndAfterItTheStoresWorkAgain()
      throws Exception {
    AgentSpecCodec codec = new AgentSpecCodec();
    JdbcAgentStore agents = await(JdbcAgentStore.open(vertx, url, "af", ""));
    try (ApiKeyStore keys = ApiKeyStore.open(url)) {
      AgentRegistry registry = new AgentRegistry(agents);
      await(registry.create("default", codec.readResource("agents/math.json")));
      keys.create("acme", "before");

      postgres.server().stop();
      assertThatThrownBy(() -> await(registry.list("default")))
          .isInstanceOfSatisfying(
              dev.agentfactory.edge.agent.AgentException.class,
              e -> {
                assertThat(e.code())
                    .isEqualTo(dev.agentfactory.edge.agent.AgentException.Code.STORE_UNAVAILABLE);
                assertThat(e.getMessage())
                    .as("names the store and the database's own reason")
                    .contains("cannot open the agent store at jdbc:postgresql://", "refused");
              });
      assertThatThrownBy(keys::all).isInstanceOf(java.sql.SQLException.class);

      postgres.server().restart();
      assertThat(await(registry.list("default"))).hasSize(1);
      assertThat(keys.all()).extracting(ApiKey::name).containsExactly("before");
    } finally {
      await(agents.close());
    }
  }

  @Test
  void aDatabaseThatStopsAnsweringFailsCallsWithATypedErrorInsteadOfHangingThem() throws Exception {
    // short timeouts of our own; a URL without them gets JdbcWorker.POSTGRES_DEFAULTS (60 s)
    String quick = url + "&connectTimeout=2&socketTimeout=2";
    JdbcAgentStore agents = await(JdbcAgentStore.open(vertx, quick, "af", ""));
    try (ApiKeyStore keys = ApiKeyStore.open(quick)) {
      AgentRegistry registry = new AgentRegistry(agents);
      await(registry.create("default", new AgentSpecCodec().readResource("agents/math.json")));
      keys.create("acme", "before");

      postgres.server().freeze();
      try {
        // without a socket timeout each of these waits for ever on its open connection
        assertThatThrownBy(() -> await(registry.list("default")))
            .isInstanceOfSatisfying(
                dev.agentfactory.edge.agent.AgentException.class,
                e ->
                    assertThat(e.code())
                        .isEqualTo(
                            dev.agentfactory.edge.agent.AgentException.Code.STORE_UNAVAILABLE));
        assertThatThrownBy(keys::all).isInstanceOf(java.sql.SQLException.class);
      } finally {
        postgres.server().thaw();
      }
      assertThat(await(registry.list("default"))).hasSize(1);
      assertThat(keys.all()).extracting(ApiKey::name).containsExactly("before");
    } finally {
      await(agents.close());
    }
  }

  @Test
  void nodesStartingTogetherApplyTheBuiltInAgentOnceWithoutFailing() throws Exception {
    AgentSpecCodec codec = new AgentSpecCodec();
    java.util.List<JdbcAgentStore> stores = new java.util.ArrayList<>();
    try {
      for (int round = 0; round < 5; round++) {
        String db = postgres.server().createDatabase();
        java.util.List<Future<dev.agentfactory.edge.agent.AgentVersion>> applies =
            new java.util.ArrayList<>();
        java.util.List<AgentRegistry> nodes = new java.util.ArrayList<>();
        for (int node = 0; node < 4; node++) {
          JdbcAgentStore store = await(JdbcAgentStore.open(vertx, db, "af", ""));
          stores.add(store);
          nodes.add(new AgentRegistry(store));
        }
        for (AgentRegistry node : nodes) {
          applies.add(node.apply("default", codec.readResource("agents/math.json")));
        }
        await(Future.all(applies));
        assertThat(applies)
            .as("every node gets the one version, whoever created it")
            .allSatisfy(f -> assertThat(f.result().number()).isEqualTo(1));
      }
    } finally {
      for (JdbcAgentStore store : stores) {
        await(store.close());
      }
    }
  }

  @Test
  void aVersionAnotherNodeAddsAtTheSameMomentWithTheSameContentIsReturnedNotAConflict()
      throws Exception {
    AgentSpecCodec codec = new AgentSpecCodec();
    JdbcAgentStore store = await(JdbcAgentStore.open(vertx, url, "af", ""));
    try (java.sql.Connection otherNode = java.sql.DriverManager.getConnection(url)) {
      AgentRegistry registry = new AgentRegistry(store);
      await(registry.create("default", codec.readResource("agents/math.json")));
      dev.agentfactory.edge.agent.AgentSpec two =
          codec.parseJson(
              codec
                  .toJson(codec.readResource("agents/math.json"))
                  .replaceFirst("\"system_prompt\":\"[^\"]*\"", "\"system_prompt\":\"two\""));

      // the other node adds the same content as v2 and has not committed yet
      otherNode.setAutoCommit(false);
      try (java.sql.PreparedStatement insert =
          otherNode.prepareStatement(
              "INSERT INTO af_agent_versions (tenant_id, agent_name, version, content_hash,"
                  + " spec_json, created_at) VALUES ('default', 'math', 2, ?, ?, 0)")) {
        insert.setString(1, codec.contentHash(two));
        insert.setString(2, codec.toJson(two));
        insert.executeUpdate();
      }
      // this node does not see it, numbers its own add v2 too, and waits for the other's row
      Future<dev.agentfactory.edge.agent.AgentVersion> added = registry.addVersion("default", two);
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(60))
          .pollInterval(java.time.Duration.ofMillis(20))
          .until(() -> waitingForALock(url));
      otherNode.commit();

      dev.agentfactory.edge.agent.AgentVersion version = await(added);
      assertThat(version.number()).isEqualTo(2);
      assertThat(version.contentHash()).isEqualTo(codec.contentHash(two));
      assertThat(await(registry.versions(AgentRef.of("math")))).hasSize(2);
    } finally {
      await(store.close());
    }
  }

  /** Whether a session of the database of {@code url} waits for a row or index lock. */
  private static boolean waitingForALock(String url) throws Exception {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url);
        java.sql.Statement s = c.createStatement();
        java.sql.ResultSet rs =
            s.executeQuery(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND wait_event_type = 'Lock'")) {
      rs.next();
      return rs.getInt(1) > 0;
    }
  }

  private static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }
}
