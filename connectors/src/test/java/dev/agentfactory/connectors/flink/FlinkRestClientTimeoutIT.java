package dev.agentfactory.connectors.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Flink REST endpoint that accepts connections and then goes quiet (a wedged JobManager, a proxy
 * holding the connection) on a real socket: every call fails with a {@link FlinkRestException}
 * naming the call and its deadline, instead of staying pending for good.
 */
class FlinkRestClientTimeoutIT {

  private static final Duration REQUEST = Duration.ofMillis(300);
  private static final Duration JAR = Duration.ofSeconds(1);

  @TempDir Path dir;
  private final List<Socket> held = new CopyOnWriteArrayList<>();
  private ServerSocket server;

  @AfterEach
  void close() throws IOException {
    if (server != null) {
      server.close();
    }
    for (Socket socket : held) {
      socket.close();
    }
  }

  @Test
  void aFlinkThatNeverAnswersFailsTheCallInsteadOfHangingIt() throws Exception {
    FlinkRestClient rest = client(quietFlink(null));

    assertThat(failure(() -> rest.listJobs().toCompletableFuture()))
        .hasMessage("Flink did not answer GET /jobs/overview within 300 ms");
    assertThat(failure(() -> rest.job("j1").toCompletableFuture()))
        .hasMessageContaining("GET /jobs/j1 within 300 ms");
  }

  @Test
  void anAnswerThatStopsHalfWayFailsTheCallToo() throws Exception {
    // the status line and headers arrive; the promised body never does
    FlinkRestClient rest =
        client(
            quietFlink(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                    + "{\"jobs\":"));

    assertThat(failure(() -> rest.listJobs().toCompletableFuture()))
        .hasMessage("Flink did not answer GET /jobs/overview within 300 ms");
  }

  @Test
  void uploadingAndRunningAJarHaveTheirOwnLongerDeadline() throws Exception {
    FlinkRestClient rest = client(quietFlink(null));
    Path jar = Files.write(dir.resolve("job.jar"), new byte[] {1, 2, 3});

    assertThat(failure(() -> rest.uploadJar(jar).toCompletableFuture()))
        .hasMessage("Flink did not answer POST /jars/upload within 1 s");
    assertThat(failure(() -> rest.runJar("x.jar", List.of()).toCompletableFuture()))
        .hasMessage("Flink did not answer POST /jars/x.jar/run within 1 s");
  }

  private FlinkRestClient client(URI url) {
    return new FlinkRestClient(
        url,
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build(),
        REQUEST,
        JAR);
  }

  /** The call's failure; a call still pending after 30 s fails the test instead. */
  private static Throwable failure(
      java.util.concurrent.Callable<java.util.concurrent.CompletableFuture<?>> call) {
    Throwable[] caught = new Throwable[1];
    assertThatThrownBy(
            () -> {
              try {
                call.call().get(30, TimeUnit.SECONDS);
              } catch (ExecutionException e) {
                caught[0] = e.getCause();
                throw e;
              }
            })
        .as("the call fails rather than staying pending")
        .isInstanceOf(ExecutionException.class);
    assertThat(caught[0]).isInstanceOf(FlinkRestException.class);
    return caught[0];
  }

  /**
   * A server on a free loopback port that reads every request and writes {@code answer} (nothing if
   * null), then keeps the connection open without another byte.
   */
  private URI quietFlink(String answer) throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try {
                  Socket socket = server.accept();
                  held.add(socket);
                  Thread reader = new Thread(() -> serve(socket, answer), "quiet-flink-conn");
                  reader.setDaemon(true);
                  reader.start();
                } catch (IOException closed) {
                  return;
                }
              }
            },
            "quiet-flink");
    acceptor.setDaemon(true);
    acceptor.start();
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  private static void serve(Socket socket, String answer) {
    try (InputStream in = socket.getInputStream()) {
      if (answer != null) {
        OutputStream out = socket.getOutputStream();
        out.write(answer.getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
      // drain the request (the jar upload's body included) so the client is never blocked on it
      byte[] buffer = new byte[8192];
      while (in.read(buffer) >= 0) {
        // keep reading until the client gives up and closes
      }
    } catch (IOException closed) {
      // the test is over or the client closed
    }
  }
}
