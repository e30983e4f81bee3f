package dev.agentfactory.sandbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.sandbox.SandboxException;
import org.junit.jupiter.api.Test;

class ApiExceptionTest {

  @Test
  void aRetriable503SaysWhenToRetryAndOneThatRetryingCannotCureDoesNot() {
    ApiException startFailed =
        ApiException.from(
            new SandboxException("sandbox_start_failed", "not ready within PT10S", true), null);
    assertThat(startFailed.status()).isEqualTo(503);
    assertThat(startFailed.retryAfterSeconds()).isEqualTo(ApiException.RETRY_AFTER_S);

    ApiException closed =
        ApiException.from(new SandboxException("pool_closed", "the pool is closed", false), null);
    assertThat(closed.status()).isEqualTo(503);
    assertThat(closed.retryAfterSeconds()).as("this daemon is stopping").isZero();

    ApiException fileTimeout =
        ApiException.from(new SandboxException("file_timeout", "took too long", false), "path");
    assertThat(fileTimeout.status()).isEqualTo(503);
    assertThat(fileTimeout.retryAfterSeconds()).isZero();

    ApiException retriableIo =
        ApiException.from(new SandboxException("io_error", "failed", true), null);
    assertThat(retriableIo.status()).isEqualTo(500);
    assertThat(retriableIo.retryAfterSeconds()).as("only 503s carry it").isZero();

    assertThat(ApiException.unavailable("lease_timeout", "try again").retryAfterSeconds())
        .isEqualTo(ApiException.RETRY_AFTER_S);
  }
}
