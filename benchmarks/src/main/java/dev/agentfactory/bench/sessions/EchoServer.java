package dev.agentfactory.bench.sessions;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;

/**
 * The ceiling of {@code bench sessions}: a bare Vert.x WebSocket server with no session logic.
 * Every text message is answered with the same text {@code replies} times, so a round trip costs
 * the client as many frames as one agent turn on a node.
 *
 * <pre>{@code
 * java -cp ... dev.agentfactory.bench.sessions.EchoServer PORT REPLIES
 * }</pre>
 */
public final class EchoServer {

  private EchoServer() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int replies = Integer.parseInt(args[1]);
    Vertx vertx = Vertx.vertx();
    vertx
        .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
        .webSocketHandler(
            ws ->
                ws.textMessageHandler(
                    text -> {
                      for (int i = 0; i < replies; i++) {
                        ws.writeTextMessage(text);
                      }
                    }))
        .requestHandler(req -> req.response().end("{\"ready\":true}"))
        .listen()
        .onSuccess(s -> System.out.println("echo listening on " + s.actualPort()))
        .onFailure(
            e -> {
              e.printStackTrace();
              System.exit(1);
            });
  }
}
