package dev.agentfactory.sandbox.daemon;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A blocking test client over Vert.x's own HTTP and WebSocket clients. */
final class ApiClient implements AutoCloseable {

  /**
   * @param connection the reply's {@code Connection} header, null when absent
   * @param retryAfter the reply's {@code Retry-After} header, null when absent
   */
  record Reply(int status, Buffer body, String connection, String retryAfter) {
    JsonObject json() {
      return body.toJsonObject();
    }

    String text() {
      return body.toString();
    }

    /** The error code of a typed error reply. */
    String code() {
      return json().getJsonObject("error").getString("code");
    }

    String field() {
      return json().getJsonObject("error").getString("field");
    }
  }

  private final Vertx vertx = Vertx.vertx();
  // Pooled keep-alive connections; the idle timeout turns a server that never answers into a clear
  // error. (Requests that seemed to get no answer here, 1 run in 3, had been answered: see
  // exchange.)
  private final HttpClientAgent http =
      vertx.createHttpClient(new HttpClientOptions().setIdleTimeout(30));
  private final WebSocketClient ws = vertx.createWebSocketClient();
  private final int port;
  private final String token;

  ApiClient(int port, String token) {
    this.port = port;
    this.token = token;
  }

  Reply call(HttpMethod method, String uri, Buffer body) {
    return call(method, uri, body, token);
  }

  Reply call(HttpMethod method, String uri, Buffer body, String bearer) {
    RequestOptions options =
        new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(uri);
    if (bearer != null) {
      options.putHeader("authorization", "Bearer " + bearer);
    }
    return await(exchange(http.request(options), body));
  }

  /**
   * Sends the request and reads its reply. The reply's body is asked for in the callback that sends
   * the request, on the event loop, so before the reply can arrive: Vert.x never completes {@code
   * body()} for a reply that has already ended. (Chained from the calling thread, as this was, the
   * reply could end before that thread got to ask, and the call then hung.)
   */
  static Future<Reply> exchange(Future<HttpClientRequest> request, Buffer body) {
    return request.compose(
        req ->
            (body == null ? req.send() : req.send(body))
                .compose(
                    resp ->
                        resp.body()
                            .map(
                                b ->
                                    new Reply(
                                        resp.statusCode(),
                                        b,
                                        resp.getHeader("connection"),
                                        resp.getHeader("retry-after")))));
  }

  Reply get(String uri) {
    return call(HttpMethod.GET, uri, null);
  }

  Reply post(String uri, JsonObject body) {
    return call(HttpMethod.POST, uri, body == null ? null : body.toBuffer());
  }

  Reply delete(String uri) {
    return call(HttpMethod.DELETE, uri, null);
  }

  /** An open exec stream: its socket (to close it early) and the frames it received. */
  record Stream(WebSocket socket, BlockingQueue<JsonObject> frames) {}

  /** Opens an exec stream and sends {@code command}; frames arrive in the returned queue. */
  BlockingQueue<JsonObject> stream(String leaseId, JsonObject command) {
    return openStream(leaseId, command).frames();
  }

  Stream openStream(String leaseId, JsonObject command) {
    BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    WebSocketConnectOptions options = new WebSocketConnectOptions();
    options.setHost("127.0.0.1").setPort(port).setURI("/v1/leases/" + leaseId + "/exec/stream");
    if (token != null) {
      options.addHeader("authorization", "Bearer " + token);
    }
    WebSocket socket = await(ws.connect(options));
    socket.textMessageHandler(text -> frames.add(new JsonObject(text)));
    socket.closeHandler(v -> frames.add(new JsonObject().put("type", "closed")));
    await(socket.writeTextMessage(command.encode()));
    return new Stream(socket, frames);
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    await(vertx.close());
  }
}
