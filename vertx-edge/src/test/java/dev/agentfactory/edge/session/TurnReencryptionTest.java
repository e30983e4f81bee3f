package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.edge.store.JdbcWorker;
import io.vertx.core.Future;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

class TurnReencryptionTest {

  /** A store whose every transaction has already failed when it is handed back. */
  private static final TurnReencryption.Transactions ANSWERED_AT_ONCE =
      new TurnReencryption.Transactions() {
        @Override
        public <T> Future<T> run(JdbcWorker.Work<T> work) {
          return Future.failedFuture(new SQLException("the database is away", "08006"));
        }
      };

  /**
   * A pass whose census is answered before {@code run()} listens to it (on a busy node, the store's
   * worker finishing first while the event loop is still in {@code run()}) ends inside {@code
   * run()}. It used to clear the running pass and then return the cleared field, null, and the
   * store's background re-encryption threw a NullPointerException on the event loop at start.
   */
  @Test
  void aPassThatEndsBeforeRunReturnsIsStillReturned() {
    TurnCipher cipher = TurnCipher.of(List.of(new byte[32]));
    TurnReencryption reencryption =
        new TurnReencryption(ANSWERED_AT_ONCE, cipher, new TurnStoreKeys(cipher, () -> 0L));

    Future<TurnReencryption.Result> pass = reencryption.run();

    assertThat(pass).as("the pass run() started").isNotNull();
    assertThat(pass.failed()).isTrue();
    assertThat(pass.cause()).hasMessage("the database is away");
    assertThat(reencryption.run()).as("a new pass, the ended one is not running").isNotSameAs(pass);
  }
}
