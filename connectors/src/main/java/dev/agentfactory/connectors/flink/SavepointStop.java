package dev.agentfactory.connectors.flink;

import static dev.agentfactory.connectors.flink.RestExchange.requiredText;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Stops a job with a final savepoint for {@link FlinkRestClient#stopWithSavepoint(String, Optional,
 * Duration)}: triggers the stop ({@code POST /jobs/{id}/stop}), then polls the trigger ({@code GET
 * /jobs/{id}/savepoints/{trigger}}) until the savepoint completes or the deadline passes.
 */
final class SavepointStop {

  private final RestExchange rest;

  SavepointStop(RestExchange rest) {
    this.rest = rest;
  }

  /** Completes with the savepoint's path, or fails with a {@link FlinkRestException}. */
  CompletionStage<String> run(String jobId, Optional<String> targetDirectory, Duration timeout) {
    ObjectNode body = RestExchange.MAPPER.createObjectNode();
    body.put("drain", false);
    targetDirectory.ifPresent(dir -> body.put("targetDirectory", dir));
    HttpRequest request =
        HttpRequest.newBuilder(rest.uri("jobs/" + jobId + "/stop"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build();
    return stop(jobId, request, Instant.now().plus(timeout));
  }

  /**
   * Triggers the stop and follows it; triggers it again while Flink refuses the savepoint because
   * not every task of the job runs yet (a job stopped a moment after it was accepted, its tasks
   * still being deployed, or restarting after a failover), until {@code deadline}.
   */
  private CompletionStage<String> stop(String jobId, HttpRequest request, Instant deadline) {
    return rest.send(request)
        .thenCompose(json -> poll(jobId, requiredText(json, "request-id"), deadline))
        .exceptionallyCompose(
            failure -> {
              Throwable cause = RestExchange.unwrap(failure);
              if (!(cause instanceof FlinkRestException flink
                  && flink.flinkError().filter(SavepointStop::tasksNotRunningYet).isPresent()
                  && Instant.now().plus(Polls.INTERVAL).isBefore(deadline))) {
                return CompletableFuture.failedFuture(cause);
              }
              return Polls.afterInterval(() -> stop(jobId, request, deadline));
            });
  }

  /**
   * Whether a savepoint failed only because some task of the job was not running when it was
   * triggered ({@code CheckpointFailureReason.NOT_ALL_REQUIRED_TASKS_RUNNING}): the job goes on,
   * and the same stop succeeds once its tasks run.
   */
  private static boolean tasksNotRunningYet(String failure) {
    return failure.contains("Not all required tasks are currently running")
        || failure.contains("NOT_ALL_REQUIRED_TASKS_RUNNING");
  }

  private CompletionStage<String> poll(String jobId, String triggerId, Instant deadline) {
    return rest.send(rest.get("jobs/" + jobId + "/savepoints/" + triggerId))
        .thenCompose(
            json -> {
              String status = json.path("status").path("id").asText();
              if ("COMPLETED".equals(status)) {
                JsonNode operation = json.path("operation");
                if (operation.hasNonNull("location")) {
                  return CompletableFuture.completedFuture(operation.get("location").asText());
                }
                JsonNode failure = operation.path("failure-cause");
                throw new FlinkRestException(
                    "savepoint of job " + jobId + " failed: " + failureSummary(failure),
                    0,
                    failure.path("stack-trace").asText(failure.toString()));
              }
              if (Instant.now().isAfter(deadline)) {
                throw new FlinkRestException("savepoint of job " + jobId + " timed out", 0);
              }
              return Polls.afterInterval(() -> poll(jobId, triggerId, deadline));
            });
  }

  /**
   * A failed savepoint's cause for a message: the first line of Flink's stack trace and the last
   * {@code Caused by:} line, not the whole trace and the serialized throwable Flink sends along.
   */
  private static String failureSummary(JsonNode failureCause) {
    String trace = failureCause.path("stack-trace").asText("");
    if (trace.isEmpty()) {
      return failureCause.toString();
    }
    String[] lines = trace.split("\\R");
    String summary = lines[0].strip();
    for (int i = lines.length - 1; i > 0; i--) {
      if (lines[i].startsWith("Caused by:")) {
        return summary + " (" + lines[i].strip() + ")";
      }
    }
    return summary;
  }
}
