package dev.agentfactory.jobs.eval;

/** The running totals of one evaluation window. Mutable, mergeable; fields public for Flink. */
public final class EvalAccumulator {
  public String tenant;
  public String agentName;
  public String agentVersion;
  public long turns;
  public long successes;
  public long failures;
  public long toolCalls;
  public long toolErrors;
  public long inputTokens;
  public long outputTokens;
  public long piiInOutput;
  public long secretLeaks;
  public long judged;
  public double judgeScoreSum;
  public long judgeDegraded;
  public long latestCreatedAtMs;
  public LatencyHistogram latency = new LatencyHistogram();

  public EvalAccumulator add(EvalSample s) {
    tenant = s.tenant();
    agentName = s.agentName();
    agentVersion = s.agentVersion();
    turns += s.turns();
    successes += s.successes();
    failures += s.failures();
    toolCalls += s.toolCalls();
    toolErrors += s.toolErrors();
    inputTokens += s.inputTokens();
    outputTokens += s.outputTokens();
    piiInOutput += s.piiInOutput();
    secretLeaks += s.secretLeaks();
    if (!Double.isNaN(s.judgeScore())) {
      judged++;
      judgeScoreSum += s.judgeScore();
    }
    judgeDegraded += s.judgeDegraded();
    latestCreatedAtMs = Math.max(latestCreatedAtMs, s.createdAtMs());
    if (s.turns() > 0) {
      latency.add(s.latencyMs());
    }
    return this;
  }

  public EvalAccumulator merge(EvalAccumulator o) {
    if (tenant == null) {
      tenant = o.tenant;
      agentName = o.agentName;
      agentVersion = o.agentVersion;
    }
    turns += o.turns;
    successes += o.successes;
    failures += o.failures;
    toolCalls += o.toolCalls;
    toolErrors += o.toolErrors;
    inputTokens += o.inputTokens;
    outputTokens += o.outputTokens;
    piiInOutput += o.piiInOutput;
    secretLeaks += o.secretLeaks;
    judged += o.judged;
    judgeScoreSum += o.judgeScoreSum;
    judgeDegraded += o.judgeDegraded;
    latestCreatedAtMs = Math.max(latestCreatedAtMs, o.latestCreatedAtMs);
    latency.merge(o.latency);
    return this;
  }

  /** The metrics of the window {@code [windowStartMs, windowEndMs)}, emitted at {@code nowMs}. */
  public EvalMetrics metrics(long windowStartMs, long windowEndMs, long nowMs) {
    long decided = successes + failures;
    return new EvalMetrics(
        tenant,
        agentName,
        agentVersion,
        windowStartMs,
        windowEndMs,
        turns,
        decided == 0 ? null : (double) successes / decided,
        toolCalls,
        toolCalls == 0 ? null : (double) toolErrors / toolCalls,
        latency.total == 0 ? null : latency.quantile(0.50),
        latency.total == 0 ? null : latency.quantile(0.95),
        inputTokens,
        outputTokens,
        piiInOutput,
        secretLeaks,
        judged,
        judged == 0 ? null : judgeScoreSum / judged,
        judgeDegraded,
        latestCreatedAtMs,
        nowMs);
  }
}
