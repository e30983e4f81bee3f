package dev.agentfactory.connectors.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A small client for the Flink REST API (any Flink cluster, including {@link EmbeddedFlink}), built
 * on {@code java.net.http}. All calls are asynchronous; nothing blocks the calling thread. Every
 * call has a deadline for Flink's whole answer ({@link #DEFAULT_REQUEST_TIMEOUT}; uploading and
 * running a jar {@link #DEFAULT_JAR_TIMEOUT}): a Flink that accepts the connection and then says
 * nothing fails the call with a {@link FlinkRestException} instead of leaving it pending for ever.
 *
 * <pre>{@code
 * FlinkRestClient rest = new FlinkRestClient(URI.create("http://localhost:8081"));
 * String jobId =
 *     rest.uploadJar(jobJar)
 *         .thenCompose(jarId -> rest.runJar(jarId, List.of("--bootstrap-servers", bootstrap)))
 *         .toCompletableFuture().join();
 * String savepoint =
 *     rest.withSavepointDirectory("file:///var/lib/af/flink/savepoints")
 *         .stopWithSavepoint(jobId).toCompletableFuture().join();
 * }</pre>
 */
public final class FlinkRestClient {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration POLL_INTERVAL = Duration.ofMillis(200);
  private static final Duration DEFAULT_SAVEPOINT_TIMEOUT = Duration.ofMinutes(5);

  /**
   * Starts each next poll (it only sends a request), on one daemon thread that ends when idle. The
   * JDK's default for delayed stages runs them on the common pool, which on a host with 2 CPUs or
   * fewer is a new thread per task, named only {@code Thread-N} in the log.
   */
  private static final Executor POLLS =
      new ThreadPoolExecutor(
          0,
          1,
          30,
          TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(),
          task -> {
            Thread thread = new Thread(task, "af-flink-rest-poll");
            thread.setDaemon(true);
            return thread;
          });

  /** How long a call waits for Flink's whole answer, unless the constructor says otherwise. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

  /**
   * The same for {@link #uploadJar} and {@link #runJar}: an upload streams a job jar of tens of
   * megabytes, and a run waits while Flink executes the job's {@code main()} and restores state.
   */
  public static final Duration DEFAULT_JAR_TIMEOUT = Duration.ofMinutes(5);

  private final URI base;
  private final HttpClient http;
  private final Duration requestTimeout;
  private final Duration jarTimeout;
  private final Optional<String> savepointDirectory;

  /** A client for the cluster at {@code restUrl} (e.g. {@code http://localhost:8081}). */
  public FlinkRestClient(URI restUrl) {
    this(restUrl, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());
  }

  public FlinkRestClient(URI restUrl, HttpClient http) {
    this(restUrl, http, DEFAULT_REQUEST_TIMEOUT, DEFAULT_JAR_TIMEOUT);
  }

  /**
   * @param requestTimeout how long a call waits for Flink's whole answer (headers and body)
   * @param jarTimeout the same for uploading and running a jar
   */
  public FlinkRestClient(
      URI restUrl, HttpClient http, Duration requestTimeout, Duration jarTimeout) {
    String s = restUrl.toString();
    this.base = URI.create(s.endsWith("/") ? s : s + "/");
    this.http = http;
    this.requestTimeout = positive(requestTimeout, "requestTimeout");
    this.jarTimeout = positive(jarTimeout, "jarTimeout");
    this.savepointDirectory = Optional.empty();
  }

  private FlinkRestClient(FlinkRestClient other, Optional<String> savepointDirectory) {
    this.base = other.base;
    this.http = other.http;
    this.requestTimeout = other.requestTimeout;
    this.jarTimeout = other.jarTimeout;
    this.savepointDirectory = savepointDirectory;
  }

  /**
   * This client, sending {@code targetDirectory} (a path or URI the cluster can write, e.g. {@code
   * file:///shared/savepoints} or {@code s3://bucket/savepoints}) with every {@link
   * #stopWithSavepoint(String)}. Without it the cluster's {@code
   * execution.checkpointing.savepoint-dir} must be set, or Flink refuses the stop with 400.
   */
  public FlinkRestClient withSavepointDirectory(String targetDirectory) {
    if (targetDirectory == null || targetDirectory.isBlank()) {
      throw new IllegalArgumentException("targetDirectory must not be blank");
    }
    return new FlinkRestClient(this, Optional.of(targetDirectory));
  }

  /** The directory {@link #stopWithSavepoint(String)} names; empty: the cluster's default. */
  public Optional<String> savepointDirectory() {
    return savepointDirectory;
  }

  private static Duration positive(Duration timeout, String name) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, not " + timeout);
    }
    return timeout;
  }

  /** Uploads a job jar ({@code POST /jars/upload}); returns the jar id to run it with. */
  public CompletionStage<String> uploadJar(Path jar) {
    String boundary = "----af" + UUID.randomUUID();
    String head =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
            + jar.getFileName()
            + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n";
    HttpRequest.BodyPublisher file;
    try {
      file = HttpRequest.BodyPublishers.ofFile(jar); // streamed, not read into memory
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new UncheckedIOException("cannot read " + jar, e));
    }
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve("jars/upload"))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(
                HttpRequest.BodyPublishers.concat(
                    HttpRequest.BodyPublishers.ofString(head, StandardCharsets.UTF_8),
                    file,
                    HttpRequest.BodyPublishers.ofString(
                        "\r\n--" + boundary + "--\r\n", StandardCharsets.UTF_8)))
            .build();
    return send(request, jarTimeout)
        .thenApply(
            json -> {
              String filename = json.path("filename").asText();
              if (!"success".equals(json.path("status").asText()) || filename.isEmpty()) {
                throw new FlinkRestException("jar upload failed: " + json, 0);
              }
              // The jar id is the stored file's name, e.g. "3f2a..._flink-jobs-job.jar".
              return Path.of(filename).getFileName().toString();
            });
  }

  /** Runs an uploaded jar's main class with {@code args}; returns the job id. */
  public CompletionStage<String> runJar(String jarId, List<String> args) {
    return runJar(jarId, args, Optional.empty());
  }

  /**
   * Runs an uploaded jar ({@code POST /jars/{id}/run}), optionally restoring from a savepoint;
   * returns the job id.
   */
  public CompletionStage<String> runJar(
      String jarId, List<String> args, Optional<String> savepointPath) {
    ObjectNode body = MAPPER.createObjectNode();
    body.putArray("programArgsList")
        .addAll(args.stream().map(MAPPER.getNodeFactory()::textNode).toList());
    savepointPath.ifPresent(
        p -> {
          body.put("savepointPath", p);
          body.put("allowNonRestoredState", false);
        });
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve("jars/" + jarId + "/run"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build();
    return send(request, jarTimeout).thenApply(json -> requiredText(json, "jobid"));
  }

  /** Deletes an uploaded jar ({@code DELETE /jars/{id}}). */
  public CompletionStage<Void> deleteJar(String jarId) {
    HttpRequest request = HttpRequest.newBuilder(base.resolve("jars/" + jarId)).DELETE().build();
    return send(request).thenApply(json -> null);
  }

  /** {@code GET /jobs/{id}}. */
  public CompletionStage<JobSummary> job(String jobId) {
    return send(get("jobs/" + jobId))
        .thenApply(
            json ->
                new JobSummary(
                    requiredText(json, "jid"),
                    json.path("name").asText(),
                    requiredText(json, "state")));
  }

  /**
   * The vertices of the job's graph ({@code GET /jobs/{id}}, {@code vertices}), in Flink's order.
   */
  public CompletionStage<List<JobVertex>> vertices(String jobId) {
    return send(get("jobs/" + jobId)).thenApply(FlinkRestClient::vertices);
  }

  static List<JobVertex> vertices(JsonNode job) {
    List<JobVertex> vertices = new ArrayList<>();
    for (JsonNode vertex : job.path("vertices")) {
      vertices.add(new JobVertex(requiredText(vertex, "id"), vertex.path("name").asText()));
    }
    return vertices;
  }

  /**
   * The sums over the vertex's subtasks of the metrics {@code names} ({@code GET
   * /jobs/{id}/vertices/{vid}/subtasks/metrics?get=...&agg=sum}), by name. An operator's metric is
   * named after the operator, e.g. {@code quality-filter.quality_kept}. A name no subtask reports
   * (not yet registered, or the job no longer runs: Flink keeps the metrics of running jobs only)
   * is absent. Flink serves these from its metric store, which it refreshes every {@code
   * metrics.fetcher.update-interval} (10 s by default).
   */
  public CompletionStage<Map<String, Double>> metricSums(
      String jobId, String vertexId, Collection<String> names) {
    String get = URLEncoder.encode(String.join(",", names), StandardCharsets.UTF_8);
    return send(get(
            "jobs/" + jobId + "/vertices/" + vertexId + "/subtasks/metrics?agg=sum&get=" + get))
        .thenApply(FlinkRestClient::metricSums);
  }

  /**
   * Flink's aggregated metrics answer, {@code [{"id": "<name>", "sum": 3.0}, ...]}, as sums by
   * name; an entry without a numeric {@code sum} is left out.
   */
  static Map<String, Double> metricSums(JsonNode answer) {
    if (!answer.isArray()) {
      throw new FlinkRestException("not a list of metrics in Flink's answer: " + answer, 0);
    }
    Map<String, Double> sums = new LinkedHashMap<>();
    for (JsonNode metric : answer) {
      JsonNode sum = metric.path("sum");
      if (metric.path("id").isTextual() && sum.isNumber()) {
        sums.put(metric.get("id").asText(), sum.doubleValue());
      }
    }
    return sums;
  }

  /**
   * The id of the job's latest completed checkpoint ({@code GET /jobs/{id}/checkpoints}, {@code
   * latest.completed.id}); empty if none has completed yet.
   */
  public CompletionStage<Optional<Long>> latestCompletedCheckpoint(String jobId) {
    return send(get("jobs/" + jobId + "/checkpoints"))
        .thenApply(
            json -> {
              JsonNode id = json.path("latest").path("completed").path("id");
              return id.isIntegralNumber() ? Optional.of(id.longValue()) : Optional.empty();
            });
  }

  /** {@code GET /jobs/overview}: every job the cluster knows, running or finished. */
  public CompletionStage<List<JobSummary>> listJobs() {
    return send(get("jobs/overview"))
        .thenApply(
            json -> {
              List<JobSummary> jobs = new ArrayList<>();
              for (JsonNode job : json.path("jobs")) {
                jobs.add(
                    new JobSummary(
                        job.path("jid").asText(),
                        job.path("name").asText(),
                        job.path("state").asText(),
                        job.path("start-time").asLong(-1)));
              }
              return jobs;
            });
  }

  /**
   * The job as {@code GET /jobs/overview} reports it, empty if Flink does not know it. Unlike
   * {@link #job(String)} this is Flink's current answer: {@code GET /jobs/{id}} is served from a
   * cache ({@code rest.cache.execution-graph.expiry}, 3 s by default), so right after a stop it may
   * still say {@code RUNNING}.
   */
  public CompletionStage<Optional<JobSummary>> currentJob(String jobId) {
    return listJobs()
        .thenApply(jobs -> jobs.stream().filter(j -> j.id().equals(jobId)).findFirst());
  }

  /**
   * A job named {@code name} that is not in a terminal state, as {@code GET /jobs/overview} reports
   * it; empty if none is. With several, the first Flink lists.
   */
  public CompletionStage<Optional<JobSummary>> runningJob(String name) {
    return runningJobs(name).thenApply(jobs -> jobs.stream().findFirst());
  }

  /**
   * Every job named {@code name} that is not in a terminal state, as {@code GET /jobs/overview}
   * reports them, in Flink's order.
   */
  public CompletionStage<List<JobSummary>> runningJobs(String name) {
    return listJobs()
        .thenApply(
            jobs -> jobs.stream().filter(j -> j.name().equals(name) && !j.isTerminal()).toList());
  }

  /**
   * Polls {@link #currentJob(String)} until Flink reports the job in a terminal state or no longer
   * knows it, or {@code timeout} passes; completes with what Flink said last (not terminal only
   * when the time ran out; empty: Flink does not know the job). Fails only when Flink does not
   * answer a poll.
   */
  public CompletionStage<Optional<JobSummary>> awaitTerminal(String jobId, Duration timeout) {
    return pollTerminal(jobId, Instant.now().plus(timeout));
  }

  private CompletionStage<Optional<JobSummary>> pollTerminal(String jobId, Instant deadline) {
    return currentJob(jobId)
        .thenCompose(
            job -> {
              if (job.isEmpty() || job.get().isTerminal() || Instant.now().isAfter(deadline)) {
                return CompletableFuture.completedFuture(job);
              }
              return afterPollInterval(() -> pollTerminal(jobId, deadline));
            });
  }

  /** Cancels a job without a savepoint ({@code PATCH /jobs/{id}?mode=cancel}). */
  public CompletionStage<Void> cancel(String jobId) {
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "?mode=cancel"))
            .method("PATCH", HttpRequest.BodyPublishers.noBody())
            .build();
    return send(request).thenApply(json -> null);
  }

  /**
   * Stops a job with a final savepoint into {@link #savepointDirectory()}, or the cluster's default
   * savepoint directory without one; completes with the savepoint path once the savepoint is
   * COMPLETED.
   */
  public CompletionStage<String> stopWithSavepoint(String jobId) {
    return stopWithSavepoint(jobId, savepointDirectory, DEFAULT_SAVEPOINT_TIMEOUT);
  }

  /**
   * Stops a job with a final savepoint ({@code POST /jobs/{id}/stop}), then polls the trigger
   * ({@code GET /jobs/{id}/savepoints/{trigger}}) until it completes or {@code timeout} passes.
   */
  public CompletionStage<String> stopWithSavepoint(
      String jobId, Optional<String> targetDirectory, Duration timeout) {
    ObjectNode body = MAPPER.createObjectNode();
    body.put("drain", false);
    targetDirectory.ifPresent(dir -> body.put("targetDirectory", dir));
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "/stop"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build();
    return stopWithSavepoint(jobId, request, Instant.now().plus(timeout));
  }

  /**
   * Triggers the stop and follows it; triggers it again while Flink refuses the savepoint because
   * not every task of the job runs yet (a job stopped a moment after it was accepted, its tasks
   * still being deployed, or restarting after a failover), until {@code deadline}.
   */
  private CompletionStage<String> stopWithSavepoint(
      String jobId, HttpRequest request, Instant deadline) {
    return send(request)
        .thenCompose(json -> pollSavepoint(jobId, requiredText(json, "request-id"), deadline))
        .exceptionallyCompose(
            failure -> {
              Throwable cause =
                  failure instanceof CompletionException && failure.getCause() != null
                      ? failure.getCause()
                      : failure;
              if (!(cause instanceof FlinkRestException rest
                  && rest.flinkError().filter(FlinkRestClient::tasksNotRunningYet).isPresent()
                  && Instant.now().plus(POLL_INTERVAL).isBefore(deadline))) {
                return CompletableFuture.failedFuture(cause);
              }
              return afterPollInterval(() -> stopWithSavepoint(jobId, request, deadline));
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

  private CompletionStage<String> pollSavepoint(String jobId, String triggerId, Instant deadline) {
    return send(get("jobs/" + jobId + "/savepoints/" + triggerId))
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
              return afterPollInterval(() -> pollSavepoint(jobId, triggerId, deadline));
            });
  }

  /** {@code next}, started {@link #POLL_INTERVAL} from now on a {@link #POLLS} thread. */
  private static <T> CompletionStage<T> afterPollInterval(Supplier<CompletionStage<T>> next) {
    return CompletableFuture.supplyAsync(
            () -> null,
            CompletableFuture.delayedExecutor(
                POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS, POLLS))
        .thenCompose(ignored -> next.get());
  }

  private HttpRequest get(String path) {
    return HttpRequest.newBuilder(base.resolve(path)).GET().build();
  }

  private CompletionStage<JsonNode> send(HttpRequest request) {
    return send(request, requestTimeout);
  }

  /**
   * Sends {@code request} and reads Flink's JSON answer, failing with a {@link FlinkRestException}
   * when the whole answer has not come within {@code timeout}. The request's own timeout covers the
   * wait for the status line only, so the exchange also gets a deadline as a whole, and is
   * cancelled when it passes.
   */
  private CompletionStage<JsonNode> send(HttpRequest request, Duration timeout) {
    HttpRequest timed =
        HttpRequest.newBuilder(request, (name, value) -> true).timeout(timeout).build();
    CompletableFuture<HttpResponse<String>> exchange =
        http.sendAsync(timed, HttpResponse.BodyHandlers.ofString());
    CompletableFuture<HttpResponse<String>> answer =
        exchange.copy().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    answer.whenComplete(
        (response, failure) -> {
          if (failure != null) {
            exchange.cancel(true);
          }
        });
    return answer
        .exceptionally(
            failure -> {
              Throwable cause =
                  failure instanceof CompletionException && failure.getCause() != null
                      ? failure.getCause()
                      : failure;
              if (cause instanceof TimeoutException || cause instanceof HttpTimeoutException) {
                throw new FlinkRestException(
                    "Flink did not answer "
                        + request.method()
                        + " "
                        + request.uri().getPath()
                        + " within "
                        + (timeout.toMillis() % 1000 == 0
                            ? timeout.toSeconds() + " s"
                            : timeout.toMillis() + " ms"),
                    0);
              }
              throw failure instanceof CompletionException c ? c : new CompletionException(failure);
            })
        .thenApply(
            response -> {
              if (response.statusCode() >= 300) {
                throw new FlinkRestException(
                    request.method()
                        + " "
                        + request.uri().getPath()
                        + " answered "
                        + response.statusCode()
                        + ": "
                        + response.body(),
                    response.statusCode(),
                    flinkError(response.body()));
              }
              String text = response.body();
              if (text == null || text.isBlank()) {
                return MAPPER.createObjectNode();
              }
              try {
                return MAPPER.readTree(text);
              } catch (IOException e) {
                throw new FlinkRestException("not JSON from " + request.uri() + ": " + text, 0);
              }
            });
  }

  /** The first entry of {@code errors} in Flink's error answer, if it is one. */
  private static String flinkError(String body) {
    try {
      JsonNode first = MAPPER.readTree(body == null ? "" : body).path("errors").path(0);
      return first.isTextual() ? first.asText() : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static String requiredText(JsonNode json, String field) {
    JsonNode node = json.get(field);
    if (node == null || !node.isTextual()) {
      throw new FlinkRestException("no '" + field + "' in Flink's answer: " + json, 0);
    }
    return node.asText();
  }
}
