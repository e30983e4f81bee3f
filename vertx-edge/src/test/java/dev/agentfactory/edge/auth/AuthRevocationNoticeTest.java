package dev.agentfactory.edge.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.edge.health.CapturedLog;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The announcement of a revocation to the other nodes, when the cluster cannot take it. */
class AuthRevocationNoticeTest {

  @TempDir Path dir;

  @Test
  void aClusterThatThrowsOnPublishIsAWarningAndTheKeyIsRevokedHereAllTheSame() throws Exception {
    Vertx vertx = Vertx.vertx();
    ApiKeyStore store = ApiKeyStore.embedded(dir);
    try (CapturedLog log = CapturedLog.at(Auth.class.getName())) {
      Auth auth = new Auth(vertx, Optional.of("admin-key"), store, new RateLimiter(100, 100));
      await(auth.start().toCompletionStage().toCompletableFuture());
      String id = store.create("acme", "ci").key().id();
      auth.announceRevocationsWith(
          keyId -> {
            // as a Hazelcast member that has shut down answers publishAsync
            throw new IllegalStateException("Hazelcast instance is not active!");
          });

      Boolean found = await(auth.revoke(id).toCompletionStage().toCompletableFuture());

      assertThat(found).isTrue();
      assertThat(auth.refuses(id)).isTrue();
      Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(30))
          .until(() -> !log.messages(Auth.class.getName(), Level.WARN, id).isEmpty());
      assertThat(log.messages(Auth.class.getName(), Level.WARN, id).get(0))
          .contains("not announced to the other nodes");
    } finally {
      store.close();
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }
}
