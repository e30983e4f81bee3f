package dev.agentfactory.bench.sessions;

import dev.agentfactory.jobs.cli.CliArgs;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import java.util.Set;

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

  static final String USAGE = "EchoServer PORT REPLIES";

  /** Where to listen (0: any free port) and how many times to answer each message. */
  record Settings(int port, int replies) {}

  /**
   * @throws CliArgs.UsageException for an option, a missing or third argument or a value out of
   *     range
   */
  static Settings parse(String[] args) {
    CliArgs a = CliArgs.parse(args, Set.of(), Set.of(), 2);
    a.requiredPositional(1, "REPLIES");
    return new Settings(
        a.intPositional(0, "PORT", 0, 0, 65_535), a.intPositional(1, "REPLIES", 1, 1, 10_000));
  }

  public static void main(String[] args) {
    Settings settings = CliArgs.parseOrExit("EchoServer", USAGE, () -> parse(args));
    int port = settings.port();
    int replies = settings.replies();
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
