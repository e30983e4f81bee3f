package dev.agentfactory.jobs.pipeline;

import java.util.Optional;

/**
 * Decides which judge failures are worth a log line: the first one, then at most one per {@code
 * intervalMillis}, which says how many failed since the last line. Every failure degrades a label
 * and counts in {@code judge_degraded}; the log says why, without a line per example when the judge
 * is down. Thread-safe: failures arrive on the HTTP client's threads and the operator's.
 *
 * <pre>{@code
 * failures.onFailure("HTTP 401", System.currentTimeMillis()).ifPresent(log::warn);
 * }</pre>
 */
final class JudgeFailures {

  static final long DEFAULT_INTERVAL_MILLIS = 60_000;

  private final long intervalMillis;
  private long lastLogged;
  private boolean loggedOnce;
  private long suppressed;

  JudgeFailures(long intervalMillis) {
    this.intervalMillis = intervalMillis;
  }

  /** The line to log for a failure with {@code reason} at {@code nowMillis}, if one is due. */
  synchronized Optional<String> onFailure(String reason, long nowMillis) {
    if (loggedOnce && nowMillis - lastLogged < intervalMillis) {
      suppressed++;
      return Optional.empty();
    }
    String line =
        loggedOnce
            ? "judge call failed: "
                + reason
                + " ("
                + (suppressed + 1)
                + " failed since the last such line, all with degraded verdicts)"
            : "judge call failed: "
                + reason
                + " (the verdict is degraded; further failures are logged at most once per "
                + intervalMillis / 1000
                + " s)";
    loggedOnce = true;
    lastLogged = nowMillis;
    suppressed = 0;
    return Optional.of(line);
  }
}
