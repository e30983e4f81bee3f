package dev.agentfactory.edge.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JdbcWorkerUrlTest {

  @Test
  void aPostgresUrlGetsTheDriverTimeoutsItDoesNotSetItself() {
    assertThat(JdbcWorker.withTimeouts("jdbc:postgresql://db:5432/af"))
        .isEqualTo(
            "jdbc:postgresql://db:5432/af?connectTimeout=10&socketTimeout=60&tcpKeepAlive=true");
    assertThat(JdbcWorker.withTimeouts("jdbc:postgresql://db/af?user=af&socketTimeout=5"))
        .isEqualTo(
            "jdbc:postgresql://db/af?user=af&socketTimeout=5&connectTimeout=10&tcpKeepAlive=true");
  }

  @Test
  void otherUrlsAreLeftAlone() {
    String h2 = "jdbc:h2:file:/data/edge/keys;DB_CLOSE_ON_EXIT=FALSE";
    assertThat(JdbcWorker.withTimeouts(h2)).isEqualTo(h2);
  }
}
