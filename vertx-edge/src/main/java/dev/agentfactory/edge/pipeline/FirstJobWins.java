package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JobSummary;
import dev.agentfactory.connectors.flink.PipelineConfig;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most one pipeline job at a time on a Flink cluster, whichever node submitted it: a submission
 * first requires that none runs, and right after Flink accepted its job looks again, giving way to
 * one submitted earlier at the same moment.
 */
final class FirstJobWins {

  // the pipeline job's log category, as before this class was split out of it
  private static final Logger LOG = LoggerFactory.getLogger(PipelineJob.class);

  /**
   * The order in which simultaneous pipeline jobs give way: the first one Flink accepted wins, ties
   * (the same millisecond) broken by the smaller job id, so every node that sees the same two jobs
   * picks the same one.
   */
  private static final Comparator<JobSummary> FIRST_SUBMITTED =
      Comparator.comparingLong(JobSummary::startTime).thenComparing(JobSummary::id);

  private final FlinkRestClient rest;
  private final PipelineJob job;

  FirstJobWins(FlinkRestClient rest, PipelineJob job) {
    this.rest = rest;
    this.job = job;
  }

  /**
   * Completes once Flink confirmed no pipeline job is in a non-terminal state: neither the one this
   * node submitted last nor one another node sharing the cluster submitted (Flink drops finished
   * jobs after {@code jobstore.expiration-time}, never running ones). A running one that is not
   * this node's is adopted. Asks Flink's current job list, not its cached {@code GET /jobs/{id}},
   * which may say RUNNING for seconds after the job ended.
   */
  CompletionStage<Void> requireNoneRunning() {
    // A failure to answer propagates: unknown is not free, the job may run, and a second one would
    // write every row twice.
    return rest.runningJob(PipelineConfig.JOB_NAME)
        .thenAccept(
            running -> {
              if (running.isPresent()) {
                job.follow(job.jobId(), running.get().id());
                throw new JobAlreadyRunningException(running.get().id(), running.get().state());
              }
            });
  }

  /**
   * Completes with {@code submitted} when it is the first of the pipeline jobs Flink lists as not
   * ended ({@link #FIRST_SUBMITTED}); otherwise cancels it, adopts the first, and fails with {@link
   * JobAlreadyRunningException} naming that one. Fails, keeping {@code submitted} tracked (so the
   * node's shutdown still stops it), when Flink does not answer the list or the cancel.
   *
   * <p>Of two jobs submitted at once, the one Flink registered later is always listed with the
   * earlier one, so its node cancels it. Its node may miss the later one, but keeps its own
   * rightly. Only a tie leaves both running: with both registered in the same millisecond the
   * earlier-registered one may hold the larger id, and its node, looking before the other was
   * registered, kept it, while the other node sees it lose the tie and keeps its own too.
   *
   * <p>Why the cancelled job wrote no row: the FileSink commits its files only when a checkpoint
   * completes, and the Kafka source commits the consumer group's offsets only then too; a job
   * cancelled before its first checkpoint leaves hidden in-progress files and no offsets, and the
   * winner reads every event from the offsets committed before either started. Flink triggers the
   * first checkpoint a random delay of up to {@code flink.checkpoint.interval.ms} (2 s by default)
   * after every task runs, and deploying the tasks alone takes longer than one list and one cancel
   * here, so the cancel normally comes first. It is not guaranteed: with a very short interval or a
   * slow Flink answer a checkpoint may complete before, and the rows it committed are then written
   * by both jobs. Dead letters and eval metrics go to Kafka at least once, so the loser may have
   * sent some of them already; both are harmless as duplicates.
   */
  CompletionStage<String> giveWayToAnEarlierOne(String submitted) {
    return rest.runningJobs(PipelineConfig.JOB_NAME)
        .thenCompose(
            running -> {
              Optional<JobSummary> first = running.stream().min(FIRST_SUBMITTED);
              if (first.isEmpty() || first.get().id().equals(submitted)) {
                return CompletableFuture.completedFuture(submitted);
              }
              JobSummary winner = first.get();
              return rest.cancel(submitted)
                  .thenApply(
                      ignored -> {
                        LOG.warn(
                            "pipeline job {} submitted at the same time as {}: cancelled, adopting"
                                + " {}",
                            submitted,
                            winner.id(),
                            winner.id());
                        job.gaveWay(submitted, winner.id());
                        throw new JobAlreadyRunningException(winner.id(), winner.state());
                      });
            });
  }
}
