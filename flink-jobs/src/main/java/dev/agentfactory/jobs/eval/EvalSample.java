package dev.agentfactory.jobs.eval;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.jobs.label.JudgeVerdict;
import dev.agentfactory.jobs.label.LabeledInteraction;
import dev.agentfactory.jobs.label.RuleLabeler;
import java.util.Optional;

/**
 * What one interaction contributes to the live evaluation of its agent version. Three independent
 * contributions, each from its own path through the pipeline, so none waits for another: a
 * rule-labelled turn contributes its outcome, tool calls, latency and tokens ({@link #ofTurn}); the
 * judge's verdict on it, later, its score or degradation ({@link #ofJudge}, {@code turns = 0}); the
 * safety scan of the raw event its PII and secret findings ({@link #ofSafety}, {@code turns = 0}).
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

  /**
   * The evaluation key: one series per tenant, agent and version. {@code <tenant>NUL<agent>NUL
   * <version>} while tenant and agent hold no NUL (the key window state was saved under), else
   * {@code NUL<length>:<tenant><length>:<agent>NUL<version>}: names may hold any character, and an
   * ambiguous key would merge two series' windows, one tenant's turns then published as another's.
   */
  public String key() {
    if (tenant.indexOf('\u0000') < 0 && agentName.indexOf('\u0000') < 0) {
      return tenant + '\u0000' + agentName + '\u0000' + agentVersion;
    }
    // Never equal to a key of the form above, whose tenant is neither empty nor starts with NUL.
    return "\u0000"
        + tenant.length()
        + ':'
        + tenant
        + agentName.length()
        + ':'
        + agentName
        + '\u0000'
        + agentVersion;
  }

  /**
   * The turn's outcome (its {@link RuleLabeler#TASK_SUCCESS} label), tool calls, latency and
   * tokens. Judge labels and scores are not part of it, whether or not {@code labeled} carries
   * them: they come as {@link #ofJudge} samples of their own.
   */
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
        Double.NaN,
        0,
        e.createdAt().toEpochMilli());
  }

  /**
   * The judge's contribution for a judged turn: its {@link JudgeVerdict#SCORE} and how many of its
   * judge labels are degraded, with {@code turns = 0}; empty for a turn the judge did not look at
   * (judge off, not sampled) and for an amendment (its turn was judged on its own).
   */
  public static Optional<EvalSample> ofJudge(LabeledInteraction labeled) {
    Interaction e = labeled.event();
    if (e.isAmendment()) {
      return Optional.empty();
    }
    double score = labeled.score(JudgeVerdict.SCORE);
    int degraded = 0;
    for (var label : labeled.labels()) {
      if (label.degraded()) {
        degraded++;
      }
    }
    if (Double.isNaN(score) && degraded == 0) {
      return Optional.empty();
    }
    return Optional.of(
        new EvalSample(
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
            0,
            0,
            score,
            degraded,
            e.createdAt().toEpochMilli()));
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
