package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.FlinkRestException;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.auth.Auth;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/jobs}: the Flink jobs of this node's Flink cluster (the embedded MiniCluster or the
 * configured session cluster), through Flink's REST API only. Admin key only: jobs are shared
 * infrastructure, not a tenant's.
 */
public final class JobsHandler {

  private static final Logger LOG = LoggerFactory.getLogger(JobsHandler.class);

  /** The jobs a node knows how to submit, by name. */
  public static final String PIPELINE = "interaction-pipeline";

  private final Supplier<FlinkRestClient> rest;
  private final Supplier<PipelineJob> pipeline;
  private final Duration endWait;

  /** Suppliers, because the router exists before Flink has started; null while starting. */
  public JobsHandler(Supplier<FlinkRestClient> rest, Supplier<PipelineJob> pipeline) {
    this(rest, pipeline, PipelineJob.END_TIMEOUT);
  }

  /**
   * @param endWait how long a stop waits, after the savepoint, for Flink to report the job ended
   *     before it answers 202 instead of 200 ({@link PipelineJob#END_TIMEOUT}; tests wait less)
   */
  public JobsHandler(
      Supplier<FlinkRestClient> rest, Supplier<PipelineJob> pipeline, Duration endWait) {
    this.rest = rest;
    this.pipeline = pipeline;
    this.endWait = endWait;
  }

  public void list(RoutingContext ctx) {
    Auth.requireAdmin(
        ctx,
        () -> {
          FlinkRestClient client = rest.get();
          if (client == null) {
            starting(ctx);
            return;
          }
          Future.fromCompletionStage(client.listJobs())
              .onSuccess(
                  jobs -> {
                    JsonArray array = new JsonArray();
                    jobs.forEach(j -> array.add(json(j)));
                    ok(ctx, 200, new JsonObject().put("jobs", array));
                  })
              .onFailure(e -> flinkFailed(ctx, e, null));
        });
  }

  public void submit(RoutingContext ctx) {
    Auth.requireAdmin(
        ctx,
        () -> {
          PipelineJob job = pipeline.get();
          if (job == null) {
            starting(ctx);
            return;
          }
          String name = ctx.body().asJsonObject().getString("job");
          if (!PIPELINE.equals(name)) {
            ApiErrors.send(
                ctx, 400, "invalid_field", "unknown job '" + name + "'; known: " + PIPELINE, "job");
            return;
          }
          // PipelineJob decides whether one may start: only after Flink confirmed the last one
          // ended, and never while another submission is in flight.
          Future.fromCompletionStage(job.submit())
              .onSuccess(
                  id -> {
                    LOG.info("POST /v1/jobs: pipeline job {} submitted", id);
                    ok(ctx, 201, new JsonObject().put("id", id).put("job", PIPELINE));
                  })
              .onFailure(
                  e -> {
                    Throwable cause = unwrap(e);
                    if (cause instanceof JobAlreadyRunningException running) {
                      ApiErrors.send(
                          ctx, 409, "conflict", PIPELINE + " is " + running.getMessage(), null);
                    } else if (cause instanceof PipelineJarMissingException missing) {
                      ApiErrors.send(ctx, 500, "job_jar_missing", missing.getMessage(), null);
                    } else {
                      flinkFailed(ctx, e, null);
                    }
                  });
        });
  }

  /**
   * Stops a job with a savepoint, so the files it wrote are committed; answers 200 once Flink
   * reports the job ended, so a {@code POST} right after it is not refused because the stopped job
   * still runs. A job Flink has not reported ended {@code endWait} after the savepoint (30 s) is
   * answered 202, state {@code stopping}: the stop is requested and the savepoint taken, but the
   * job is still ending (for the pipeline job, a {@code POST} is refused with 409 until it has).
   */
  public void stop(RoutingContext ctx) {
    Auth.requireAdmin(
        ctx,
        () -> {
          FlinkRestClient client = rest.get();
          PipelineJob job = pipeline.get();
          if (client == null || job == null) {
            starting(ctx);
            return;
          }
          String id = ctx.pathParam("id");
          // The pipeline goes through PipelineJob so the next start resumes from this savepoint.
          Future<JobStop> stopped =
              id.equals(job.jobId())
                  ? Future.fromCompletionStage(job.stop(endWait))
                  : Future.fromCompletionStage(
                      client
                          .stopWithSavepoint(id)
                          .thenCompose(path -> JobStop.awaitEnd(client, id, path, endWait)));
          stopped
              .onSuccess(stop -> stopped(ctx, id, stop))
              .onFailure(e -> stopFailed(ctx, client, e, id));
        });
  }

  /** 200 {@code stopped} once the job ended; 202 {@code stopping} while it is still ending. */
  private void stopped(RoutingContext ctx, String id, JobStop stop) {
    LOG.info(
        "DELETE /v1/jobs/{}: stopped with the savepoint {}{}",
        id,
        stop.savepoint(),
        stop.ended() ? "" : " (Flink has not reported its end yet)");
    JsonObject body = new JsonObject().put("id", id).put("savepoint", stop.savepoint());
    if (stop.ended()) {
      ok(ctx, 200, body.put("state", "stopped"));
      return;
    }
    ok(
        ctx,
        202,
        body.put("state", "stopping")
            .put(
                "message",
                "the final savepoint is taken and the stop requested, but Flink has not reported"
                    + " the job ended within "
                    + endWait.toMillis()
                    + " ms: it is still ending. GET /v1/jobs shows its state; while the pipeline"
                    + " job has not ended, POST /v1/jobs refuses a new one (409)"));
  }

  /**
   * Answers a failed stop. Flink answers a stop of a job that already ended as if it did not know
   * the job ({@code FlinkJobNotFoundException}: only running jobs can be stopped), so before
   * answering 404 its job list is asked: a job it still lists (e.g. {@code FINISHED}) is 409 {@code
   * flink_refused}, naming the state.
   */
  private static void stopFailed(
      RoutingContext ctx, FlinkRestClient client, Throwable e, String id) {
    if (!(unwrap(e) instanceof FlinkRestException flink) || !jobUnknown(flink)) {
      flinkFailed(ctx, e, id);
      return;
    }
    Future.fromCompletionStage(client.currentJob(id))
        .onSuccess(
            job -> {
              if (job.isEmpty()) {
                flinkFailed(ctx, e, id);
              } else {
                ApiErrors.send(
                    ctx,
                    409,
                    "flink_refused",
                    "Flink refused the request for job "
                        + id
                        + ": it is "
                        + job.get().state()
                        + ", not running",
                    "id");
              }
            })
        .onFailure(lookup -> flinkFailed(ctx, lookup, null));
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  /**
   * Answers a failed Flink call. For a call about one job ({@code id} set): Flink not knowing the
   * job is 404; a job whose tasks are still starting is 409 {@code job_not_ready}; any other
   * refusal (a 4xx, e.g. no savepoint directory on the cluster) is 409 {@code flink_refused} with
   * Flink's own message, because the job exists and the caller cannot fix the request. Anything
   * else is 502.
   */
  private static void flinkFailed(RoutingContext ctx, Throwable e, String id) {
    Throwable cause = unwrap(e);
    FlinkRestException flink = cause instanceof FlinkRestException f ? f : null;
    if (id != null && flink != null && jobUnknown(flink)) {
      ApiErrors.send(ctx, 404, "not_found", "no Flink job " + id, "id");
    } else if (String.valueOf(cause.getMessage()).contains("is not being executed at the moment")) {
      // Flink reports a job RUNNING before all its tasks are; a savepoint needs them all.
      ApiErrors.send(
          ctx,
          409,
          "job_not_ready",
          "the job's tasks are still starting; retry the stop in a few seconds",
          "id");
    } else if (id != null && flink != null && flink.status() >= 400 && flink.status() < 500) {
      ApiErrors.send(
          ctx,
          409,
          "flink_refused",
          "Flink refused the request for job " + id + ": " + brief(flinkMessage(flink)),
          "id");
    } else {
      // also when Flink did not answer in time (FlinkRestClient's deadlines): never no answer
      ApiErrors.send(ctx, 502, "flink_unavailable", "Flink failed: " + brief(cause), null);
    }
  }

  /**
   * Whether Flink said it does not know the job: a 404, or (Flink answers some calls about an
   * unknown job with a 500 naming the exception) a {@code FlinkJobNotFoundException}.
   */
  private static boolean jobUnknown(FlinkRestException flink) {
    String said = flinkMessage(flink);
    return flink.status() == 404
        || said.contains("FlinkJobNotFoundException")
        || said.contains("could not be found");
  }

  private static String flinkMessage(FlinkRestException flink) {
    return flink.flinkError().orElse(String.valueOf(flink.getMessage()));
  }

  /**
   * A failure's message for an answer or a health detail: its first line, at most 300 characters
   * (Flink's errors carry whole stack traces); a {@link CompletionException} is unwrapped.
   */
  public static String brief(Throwable cause) {
    Throwable c =
        cause instanceof CompletionException && cause.getCause() != null ? cause.getCause() : cause;
    return brief(c.getMessage() == null ? c.toString() : c.getMessage());
  }

  private static String brief(String message) {
    // a raw answer body has its newlines escaped ("\\n"), Flink's parsed message real ones
    for (String newline : new String[] {"\\n", "\n"}) {
      int at = message.indexOf(newline);
      if (at > 0) {
        message = message.substring(0, at);
      }
    }
    return message.length() > 300 ? message.substring(0, 300) + "…" : message;
  }

  private static void starting(RoutingContext ctx) {
    ApiErrors.starting(ctx, "Flink is not up yet");
  }

  private static void ok(RoutingContext ctx, int status, JsonObject body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(body.encode());
  }

  private static JsonObject json(JobSummary job) {
    return new JsonObject().put("id", job.id()).put("name", job.name()).put("state", job.state());
  }
}
