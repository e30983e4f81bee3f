package dev.agentfactory.jobs.eval;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.jobs.label.JudgeVerdict;
import dev.agentfactory.jobs.label.LabeledInteraction;
import dev.agentfactory.jobs.label.RuleLabeler;

/**
 * What one interaction contributes to the live evaluation of its agent version. A labelled turn
 * contributes its outcome, latency, tokens and judge score ({@link #ofTurn}); the safety scan of
 * the raw event contributes its PII and secret findings ({@link #ofSafety}) with {@code turns = 0}.
 */
public record EvalSample(
    String tenant,
    String agentName,
    String agentVersion,
    int turns,
    int successes,
    int failures,
    int toolCalls,
    int toolErrors,
    long latencyMs,
    long inputTokens,
    long outputTokens,
    int piiInOutput,
    int secretLeaks,
    double judgeScore,
    int judgeDegraded,
    long createdAtMs) {

  /** The evaluation key: one series per tenant, agent and version. */
  public String key() {
    return tenant + '\u0000' + agentName + '\u0000' + agentVersion;
  }

  public static EvalSample ofTurn(LabeledInteraction labeled) {
    Interaction e = labeled.event();
    if (e.isAmendment()) {
      // Feedback that arrived later is not another turn: it adds nothing to the turn counts.
      return ofSafety(e, 0, 0);
    }
    String outcome = labeled.labelValue(RuleLabeler.TASK_SUCCESS);
    int toolErrors = 0;
    for (ToolCall c : e.toolCalls()) {
      if (c.status() != ToolCallStatus.OK || (c.exitCode() != null && c.exitCode() != 0)) {
        toolErrors++;
      }
    }
    int degraded = 0;
    for (var label : labeled.labels()) {
      if (label.degraded()) {
        degraded++;
      }
    }
    return new EvalSample(
        e.tenant(),
        e.agentName(),
        e.agentVersion(),
        1,
        "success".equals(outcome) ? 1 : 0,
        "failure".equals(outcome) ? 1 : 0,
        e.toolCalls().size(),
        toolErrors,
        e.latencyMs(),
        e.usage().map(u -> u.inputTokens()).orElse(0L),
        e.usage().map(u -> u.outputTokens()).orElse(0L),
        0,
        0,
        labeled.score(JudgeVerdict.SCORE),
        degraded,
        e.createdAt().toEpochMilli());
  }

  public static EvalSample ofSafety(Interaction e, int piiInOutput, int secretLeaks) {
    return new EvalSample(
        e.tenant(),
        e.agentName(),
        e.agentVersion(),
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        piiInOutput,
        secretLeaks,
        Double.NaN,
        0,
        e.createdAt().toEpochMilli());
  }
}
