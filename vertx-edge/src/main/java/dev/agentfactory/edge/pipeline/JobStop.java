package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.connectors.flink.JobSummary;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job stopped with a final savepoint: where the savepoint is, and whether Flink reported the job
 * ended within the wait. A job that had not is still ending: the savepoint is complete and the stop
 * requested, but Flink lists the job as not yet ended, so a new pipeline submission is refused
 * (409) until it has.
 *
 * @param savepoint the final savepoint's path; null when there was no job to stop
 * @param ended whether Flink reported the job ended (or no longer lists it)
 */
public record JobStop(String savepoint, boolean ended) {

  private static final Logger LOG = LoggerFactory.getLogger(JobStop.class);

  /**
   * Completes once Flink reports job {@code id}, whose final {@code savepoint} is taken, ended, or
   * {@code wait} passed without that (logged), or Flink could not say (logged: not known to have
   * ended).
   */
  static CompletionStage<JobStop> awaitEnd(
      FlinkRestClient rest, String id, String savepoint, Duration wait) {
    return rest.awaitTerminal(id, wait)
        .handle(
            (job, e) -> {
              boolean ended = e == null && job.map(JobSummary::isTerminal).orElse(true);
              if (!ended) {
                LOG.warn(
                    "job {} took its final savepoint but Flink did not report it ended within {} ms"
                        + " ({})",
                    id,
                    wait.toMillis(),
                    e != null ? e.toString() : job.get().state());
              }
              return new JobStop(savepoint, ended);
            });
  }
}
