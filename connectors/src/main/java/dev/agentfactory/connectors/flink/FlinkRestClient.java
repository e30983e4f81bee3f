package dev.agentfactory.connectors.flink;

import static dev.agentfactory.connectors.flink.RestExchange.requiredText;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
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
import java.util.concurrent.CompletionStage;

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

  private static final ObjectMapper MAPPER = RestExchange.MAPPER;
  private static final Duration DEFAULT_SAVEPOINT_TIMEOUT = Duration.ofMinutes(5);

  /** How long a call waits for Flink's whole answer, unless the constructor says otherwise. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

  /**
   * The same for {@link #uploadJar} and {@link #runJar}: an upload streams a job jar of tens of
   * megabytes, and a run waits while Flink executes the job's {@code main()} and restores state.
   */
  public static final Duration DEFAULT_JAR_TIMEOUT = Duration.ofMinutes(5);

  private final RestExchange rest;
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
    this.rest = new RestExchange(restUrl, http, positive(requestTimeout, "requestTimeout"));
    this.jarTimeout = positive(jarTimeout, "jarTimeout");
    this.savepointDirectory = Optional.empty();
  }

  private FlinkRestClient(FlinkRestClient other, Optional<String> savepointDirectory) {
    this.rest = other.rest;
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
        HttpRequest.newBuilder(rest.uri("jars/upload"))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(
                HttpRequest.BodyPublishers.concat(
                    HttpRequest.BodyPublishers.ofString(head, StandardCharsets.UTF_8),
                    file,
                    HttpRequest.BodyPublishers.ofString(
                        "\r\n--" + boundary + "--\r\n", StandardCharsets.UTF_8)))
            .build();
    return rest.send(request, jarTimeout)
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
        HttpRequest.newBuilder(rest.uri("jars/" + jarId + "/run"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build();
    return rest.send(request, jarTimeout).thenApply(json -> requiredText(json, "jobid"));
  }

  /** Deletes an uploaded jar ({@code DELETE /jars/{id}}). */
  public CompletionStage<Void> deleteJar(String jarId) {
    HttpRequest request = HttpRequest.newBuilder(rest.uri("jars/" + jarId)).DELETE().build();
    return rest.send(request).thenApply(json -> null);
  }

  /** {@code GET /jobs/{id}}. */
  public CompletionStage<JobSummary> job(String jobId) {
    return rest.send(rest.get("jobs/" + jobId))
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
    return rest.send(rest.get("jobs/" + jobId)).thenApply(FlinkRestClient::vertices);
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
    return rest.send(
            rest.get(
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
    return rest.send(rest.get("jobs/" + jobId + "/checkpoints"))
        .thenApply(
            json -> {
              JsonNode id = json.path("latest").path("completed").path("id");
              return id.isIntegralNumber() ? Optional.of(id.longValue()) : Optional.empty();
            });
  }

  /** {@code GET /jobs/overview}: every job the cluster knows, running or finished. */
  public CompletionStage<List<JobSummary>> listJobs() {
    return rest.send(rest.get("jobs/overview"))
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
              return Polls.afterInterval(() -> pollTerminal(jobId, deadline));
            });
  }

  /** Cancels a job without a savepoint ({@code PATCH /jobs/{id}?mode=cancel}). */
  public CompletionStage<Void> cancel(String jobId) {
    HttpRequest request =
        HttpRequest.newBuilder(rest.uri("jobs/" + jobId + "?mode=cancel"))
            .method("PATCH", HttpRequest.BodyPublishers.noBody())
            .build();
    return rest.send(request).thenApply(json -> null);
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
    return new SavepointStop(rest).run(jobId, targetDirectory, timeout);
  }
}
