package dev.agentfactory.edge.pipeline;

import java.util.Optional;

/**
 * A pipeline job was asked for while one is being submitted or runs: a second one would read the
 * same consumer group and write the same dataset directory, so every row twice.
 */
public final class JobAlreadyRunningException extends IllegalStateException {

  private final String jobId;

  /**
   * @param jobId the job that runs; null while a submission is in flight and has no id yet
   * @param state what it is doing, e.g. {@code RUNNING} or {@code being submitted}
   */
  public JobAlreadyRunningException(String jobId, String state) {
    super(jobId == null ? state : state + " as " + jobId);
    this.jobId = jobId;
  }

  /** The running job's id; empty while it is being submitted. */
  public Optional<String> jobId() {
    return Optional.ofNullable(jobId);
  }
}
