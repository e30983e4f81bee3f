package dev.agentfactory.edge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.agentfactory.connectors.flink.FlinkRestClient;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The threads our Flink REST calls continue on have names that say what they do: the JDK's default
 * for async stages is a new thread per task on a host with 2 CPUs or fewer, which the log shows as
 * {@code Thread-302}. A stand-in for Flink's REST API on a real socket; the client records which
 * thread sent each request.
 */
class FlinkRestThreadsIT {

  @TempDir Path dir;
  private HttpServer flink;
  private final AtomicInteger overviews = new AtomicInteger();

  @AfterEach
  void stop() {
    if (flink != null) {
      flink.stop(0);
    }
  }

  @Test
  void pollsForTheEndOfAJobAreSentFromTheNamedPollThread() throws Exception {
    // RUNNING for two polls, then gone
    RecordingClient http = new RecordingClient();
    FlinkRestClient rest = new FlinkRestClient(startFlink(), http);

    assertThat(rest.awaitTerminal("j1", Duration.ofMinutes(1)).toCompletableFuture().get())
        .isEmpty();

    assertThat(http.senders("/jobs/overview"))
        .hasSize(3)
        .element(0)
        .isEqualTo(Thread.currentThread().getName());
    assertThat(http.senders("/jobs/overview").subList(1, 3)).containsOnly("af-flink-rest-poll");
  }

  @Test
  void theResumePointIsChosenAndTheJarUploadedFromANamedThread() throws Exception {
    RecordingClient http = new RecordingClient();
    overviews.set(2); // no job runs
    FlinkRestClient rest = new FlinkRestClient(startFlink(), http);
    Path jar = Files.write(dir.resolve("job.jar"), new byte[] {1, 2, 3});

    try {
      TestPipelineJobs.on(rest, jar, dir).submit().toCompletableFuture().get(1, TimeUnit.MINUTES);
    } catch (Exception e) {
      // the stand-in refuses the upload: only who sent it counts here
    }

    assertThat(http.senders("/jars/upload")).containsExactly("af-pipeline-resume-point");
  }

  private URI startFlink() throws IOException {
    flink = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    flink.createContext(
        "/jobs/overview",
        exchange ->
            answer(
                exchange,
                200,
                overviews.getAndIncrement() < 2
                    ? "{\"jobs\":[{\"jid\":\"j1\",\"name\":\"p\",\"state\":\"RUNNING\"}]}"
                    : "{\"jobs\":[]}"));
    flink.createContext("/", exchange -> answer(exchange, 500, "{\"errors\":[\"no\"]}"));
    flink.start();
    return URI.create("http://127.0.0.1:" + flink.getAddress().getPort() + "/");
  }

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    exchange.getRequestBody().readAllBytes();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  /** A real client that notes, per path, the name of the thread each request was sent from. */
  private static final class RecordingClient extends HttpClient {
    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<String, List<String>> senders = new ConcurrentHashMap<>();

    List<String> senders(String path) {
      return senders.getOrDefault(path, List.of());
    }

    private void record(HttpRequest request) {
      senders
          .computeIfAbsent(request.uri().getPath(), p -> new CopyOnWriteArrayList<>())
          .add(Thread.currentThread().getName());
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(
        HttpRequest request, HttpResponse.BodyHandler<T> handler) {
      record(request);
      return http.sendAsync(request, handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(
        HttpRequest request,
        HttpResponse.BodyHandler<T> handler,
        HttpResponse.PushPromiseHandler<T> push) {
      record(request);
      return http.sendAsync(request, handler, push);
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
        throws IOException, InterruptedException {
      record(request);
      return http.send(request, handler);
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
      return http.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
      return http.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
      return http.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
      return http.proxy();
    }

    @Override
    public SSLContext sslContext() {
      return http.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
      return http.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
      return http.authenticator();
    }

    @Override
    public Version version() {
      return http.version();
    }

    @Override
    public Optional<Executor> executor() {
      return http.executor();
    }
  }
}
