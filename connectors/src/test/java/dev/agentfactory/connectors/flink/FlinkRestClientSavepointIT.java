package dev.agentfactory.connectors.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Stop-with-savepoint against a stand-in for Flink's REST API on a real socket: a savepoint Flink
 * refuses because the job's tasks are not all running yet (a stop right after the job was accepted)
 * is triggered again until it completes; any other failure fails the stop at once, with a message
 * that names the cause in one line rather than Flink's whole stack trace.
 */
class FlinkRestClientSavepointIT {

  private static final String JOB = "f".repeat(32);
  private static final String NOT_RUNNING =
      "java.util.concurrent.CompletionException: org.apache.flink.runtime.checkpoint"
          + ".CheckpointException: Checkpoint triggering task Source: interactions-source (1/1) of"
          + " job "
          + JOB
          + " is not being executed at the moment. Aborting checkpoint. Failure reason: Not all"
          + " required tasks are currently running.\n\tat java.base/java.util.concurrent"
          + ".CompletableFuture.encodeRelay(CompletableFuture.java:368)\nCaused by:"
          + " org.apache.flink.runtime.checkpoint.CheckpointException: Not all required tasks are"
          + " currently running.\n\tat org.apache.flink.runtime.checkpoint"
          + ".DefaultCheckpointPlanCalculator.checkTasksStarted(DefaultCheckpointPlanCalculator"
          + ".java:143)\n";
  private static final String DISK_FULL =
      "java.util.concurrent.CompletionException: java.io.IOException: No space left on device\n"
          + "\tat java.base/java.util.concurrent.CompletableFuture.encodeThrowable\nCaused by:"
          + " java.io.IOException: No space left on device\n\tat somewhere\n";

  /** The outcome of a savepoint that completes. */
  private static final String DONE = "";

  private HttpServer flink;

  /** What each savepoint trigger ends with, in order: a failure's stack trace, or {@link #DONE}. */
  private final Deque<String> outcomes = new ArrayDeque<>();

  /** Every request the stand-in got, as {@code METHOD /path}. */
  private final List<String> requests = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    flink = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    flink.createContext("/", this::answer);
    flink.start();
  }

  @AfterEach
  void stop() {
    flink.stop(0);
  }

  @Test
  void aSavepointRefusedWhileTheTasksStartIsTriggeredAgainUntilItCompletes() throws Exception {
    outcomes.add(NOT_RUNNING);
    outcomes.add(NOT_RUNNING);
    outcomes.add(DONE);

    String location =
        client()
            .stopWithSavepoint(JOB, Optional.empty(), Duration.ofMinutes(1))
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);

    assertThat(location).isEqualTo("file:/savepoints/savepoint-3");
    assertThat(requests).filteredOn(r -> r.startsWith("POST")).hasSize(3);
  }

  @Test
  void anyOtherSavepointFailureFailsTheStopAtOnceNamingItsCause() {
    outcomes.add(DISK_FULL);
    outcomes.add(DONE);

    assertThatThrownBy(
            () ->
                client()
                    .stopWithSavepoint(JOB, Optional.empty(), Duration.ofMinutes(1))
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(FlinkRestException.class)
        .hasMessage(
            "savepoint of job "
                + JOB
                + " failed: java.util.concurrent.CompletionException: java.io.IOException: No"
                + " space left on device (Caused by: java.io.IOException: No space left on device)");
    assertThat(requests).filteredOn(r -> r.startsWith("POST")).hasSize(1);
  }

  @Test
  void tasksThatNeverRunFailTheStopAtItsDeadline() {
    for (int i = 0; i < 1000; i++) {
      outcomes.add(NOT_RUNNING);
    }

    assertThatThrownBy(
            () ->
                client()
                    .stopWithSavepoint(JOB, Optional.empty(), Duration.ofSeconds(2))
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(FlinkRestException.class)
        .hasMessageContaining("Not all required tasks are currently running");
  }

  private FlinkRestClient client() {
    return new FlinkRestClient(URI.create("http://127.0.0.1:" + flink.getAddress().getPort()));
  }

  /** A stop triggers savepoint n; its status is at once COMPLETED, as n's outcome says. */
  private synchronized void answer(HttpExchange exchange) throws IOException {
    exchange.getRequestBody().readAllBytes();
    String path = exchange.getRequestURI().getPath();
    requests.add(exchange.getRequestMethod() + " " + path);
    String body;
    if (exchange.getRequestMethod().equals("POST") && path.equals("/jobs/" + JOB + "/stop")) {
      body =
          "{\"request-id\":\"t"
              + requests.stream().filter(r -> r.startsWith("POST")).count()
              + "\"}";
    } else if (path.startsWith("/jobs/" + JOB + "/savepoints/t")) {
      String trigger = path.substring(path.lastIndexOf("/t") + 2);
      String failure = outcomes.isEmpty() ? DONE : outcomes.poll();
      String operation =
          failure.equals(DONE)
              ? "{\"location\":\"file:/savepoints/savepoint-" + trigger + "\"}"
              : "{\"failure-cause\":{\"class\":\"java.util.concurrent.CompletionException\","
                  + "\"stack-trace\":"
                  + quote(failure)
                  + ",\"serialized-throwable\":\"rO0AB\"}}";
      body = "{\"status\":{\"id\":\"COMPLETED\"},\"operation\":" + operation + "}";
    } else {
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
      return;
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  private static String quote(String s) {
    return "\""
        + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\t", "\\t")
        + "\"";
  }
}
