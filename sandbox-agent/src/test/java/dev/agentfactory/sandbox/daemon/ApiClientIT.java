package dev.agentfactory.sandbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.sandbox.daemon.ApiClient.Reply;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The test client against a plain Vert.x server on loopback. SandboxAgentIT's requests hung now and
 * then (the daemon had sent the whole reply): the client asked for the reply's body from the test
 * thread, and when that thread fell behind the event loop the reply had already ended, so Vert.x
 * never completed the body. Here the lag is made certain instead of left to the scheduler.
 */
class ApiClientIT {

  private static final long BOUND_SECONDS = 10;

  private static Vertx vertx;
  private static HttpServer server;
  private static HttpClientAgent http;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    server =
        ApiClient.await(
            vertx
                .createHttpServer()
                .requestHandler(
                    req ->
                        req.response()
                            .putHeader("content-type", "application/json")
                            .end("{\"ok\":true}"))
                .listen(0, "127.0.0.1"));
    http = vertx.createHttpClient();
  }

  @AfterAll
  static void stop() {
    ApiClient.await(vertx.close());
  }

  @Test
  void aReplyIsReadEvenWhenTheCallerFallsBehindTheEventLoop() throws Exception {
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost("127.0.0.1")
            .setPort(server.actualPort())
            .setURI("/health");

    Future<Reply> reply = ApiClient.exchange(lagging(http.request(options)), null);

    Reply answered =
        reply.toCompletionStage().toCompletableFuture().get(BOUND_SECONDS, TimeUnit.SECONDS);
    assertThat(answered.status()).isEqualTo(200);
    assertThat(answered.json().getBoolean("ok")).isTrue();
  }

  /**
   * {@code request} as a caller sees it whose thread is descheduled after each step it chains on:
   * {@code compose} returns only once the composed step has completed and the event loop has
   * finished what it was doing then (for a reply: read it to its end).
   */
  @SuppressWarnings("unchecked")
  private static Future<HttpClientRequest> lagging(Future<HttpClientRequest> request) {
    return (Future<HttpClientRequest>)
        Proxy.newProxyInstance(
            Future.class.getClassLoader(),
            new Class<?>[] {Future.class},
            (proxy, method, args) -> {
              Object result;
              try {
                result = method.invoke(request, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
              if (method.getName().equals("compose") && result instanceof Future<?> step) {
                settle(step);
              }
              return result;
            });
  }

  private static void settle(Future<?> step) throws Exception {
    step.toCompletionStage().toCompletableFuture().get(BOUND_SECONDS, TimeUnit.SECONDS);
    // Asked from this thread, a completed future calls back in a later task of its event loop
    CountDownLatch movedOn = new CountDownLatch(1);
    step.onComplete(ar -> movedOn.countDown());
    if (!movedOn.await(BOUND_SECONDS, TimeUnit.SECONDS)) {
      throw new TimeoutException("the event loop did not move on");
    }
  }
}
