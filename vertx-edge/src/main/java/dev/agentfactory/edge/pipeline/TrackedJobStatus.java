package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.FlinkRestException;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.connectors.flink.PipelineConfig;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Reads the state of the pipeline job a node tracks ({@link PipelineJob#status()}), and follows the
 * job that runs instead when the tracked one ended or Flink forgot it.
 */
final class TrackedJobStatus {

  private final FlinkRestClient rest;
  private final PipelineJob job;

  TrackedJobStatus(FlinkRestClient rest, PipelineJob job) {
    this.rest = rest;
    this.job = job;
  }

  /** {@link PipelineJob#status()}. */
  CompletionStage<JobSummary> read() {
    String id = job.jobId();
    if (id == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("not submitted"));
    }
    if (!job.adopted()) {
      return tracked(id).thenCompose(j -> j.isTerminal() ? successorOf(j) : done(j));
    }
    // Flink's cached GET /jobs/{id} may say RUNNING for seconds after an adopted job ended, and
    // its owner's restart submits the next one at once: the job list says which one runs
    return rest.runningJob(PipelineConfig.JOB_NAME)
        .thenCompose(
            running -> {
              if (running.isEmpty()) {
                return tracked(id); // none runs: say how the tracked one ended
              }
              if (job.submittingNow() && !running.get().id().equals(id)) {
                // this node's own submission, not yet tracked: it is once Flink accepted it
                return done(running.get());
              }
              job.follow(id, running.get().id());
              return done(running.get());
            });
  }

  /**
   * The tracked job as Flink reports it. Flink forgets a job when it restarts (an embedded one
   * whose node restarted): the running pipeline job is tracked instead then, if there is one;
   * otherwise fails with a {@link FlinkRestException} (404) that says so in one line.
   */
  private CompletionStage<JobSummary> tracked(String id) {
    return rest.job(id)
        .exceptionallyCompose(
            e -> {
              Throwable cause = e;
              while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
              }
              if (!(cause instanceof FlinkRestException f && f.status() == 404)) {
                return CompletableFuture.failedFuture(cause);
              }
              return rest.runningJob(PipelineConfig.JOB_NAME)
                  .thenApply(
                      running -> {
                        if (running.isEmpty() || job.submittingNow()) {
                          throw new FlinkRestException(
                              "Flink does not know the pipeline job "
                                  + id
                                  + " (it restarted without it) and runs none; POST /v1/jobs"
                                  + " starts one",
                              404);
                        }
                        job.follow(id, running.get().id());
                        return running.get();
                      });
            });
  }

  /**
   * The pipeline job that runs instead of {@code ended}, tracked from now on; else {@code ended}.
   */
  private CompletionStage<JobSummary> successorOf(JobSummary ended) {
    return rest.runningJob(PipelineConfig.JOB_NAME)
        .thenApply(
            running -> {
              if (running.isEmpty()
                  || running.get().id().equals(ended.id())
                  || job.submittingNow()) {
                return ended; // while this node submits, the running one may be its own
              }
              job.follow(ended.id(), running.get().id());
              return running.get();
            });
  }

  private static CompletionStage<JobSummary> done(JobSummary summary) {
    return CompletableFuture.completedFuture(summary);
  }
}
