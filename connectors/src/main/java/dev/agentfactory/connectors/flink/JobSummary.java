package dev.agentfactory.connectors.flink;

/**
 * A job as the Flink REST API reports it.
 *
 * @param id the job id (hex)
 * @param name the job name
 * @param state e.g. {@code RUNNING}, {@code FINISHED}, {@code CANCELED}, {@code FAILED}
 */
public record JobSummary(String id, String name, String state) {

  /** Whether the job can no longer change state. */
  public boolean isTerminal() {
    return switch (state) {
      case "FINISHED", "CANCELED", "FAILED", "SUSPENDED" -> true;
      default -> false;
    };
  }
}
