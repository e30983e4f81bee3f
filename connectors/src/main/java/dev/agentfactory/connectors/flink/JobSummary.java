package dev.agentfactory.connectors.flink;

/**
 * A job as the Flink REST API reports it.
 *
 * @param id the job id (hex)
 * @param name the job name
 * @param state e.g. {@code RUNNING}, {@code FINISHED}, {@code CANCELED}, {@code FAILED}
 * @param startTime Flink's {@code start-time}: when the cluster accepted the job, in epoch
 *     milliseconds; -1 when Flink did not say
 */
public record JobSummary(String id, String name, String state, long startTime) {

  /** A job whose start time is not known. */
  public JobSummary(String id, String name, String state) {
    this(id, name, state, -1);
  }

  /** Whether the job can no longer change state. */
  public boolean isTerminal() {
    return switch (state) {
      case "FINISHED", "CANCELED", "FAILED", "SUSPENDED" -> true;
      default -> false;
    };
  }
}
