package dev.agentfactory.jobs.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;

/**
 * The live evaluation of one agent version over one window, as published on the eval topic. The
 * JSON format is documented in {@code docs/evaluation.md}; rates and percentiles are null when the
 * window has nothing to compute them from.
 */
public record EvalMetrics(
    String tenant,
    String agentName,
    String agentVersion,
    long windowStartMs,
    long windowEndMs,
    long turns,
    Double successRate,
    long toolCalls,
    Double toolErrorRate,
    Long latencyP50Ms,
    Long latencyP95Ms,
    long inputTokens,
    long outputTokens,
    long piiInOutput,
    long secretLeaks,
    long judged,
    Double judgeMeanScore,
    long judgeDegraded,
    long latestEventAtMs,
    long emittedAtMs) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** {@code <tenant>/<agent>/<version>}, the Kafka record key. */
  public String key() {
    return tenant + "/" + agentName + "/" + agentVersion;
  }

  public byte[] toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("tenant", tenant);
    root.put("agent", agentName);
    root.put("agent_version", agentVersion);
    root.put("window_start_ms", windowStartMs);
    root.put("window_end_ms", windowEndMs);
    root.put("turns", turns);
    root.put("success_rate", successRate);
    root.put("tool_calls", toolCalls);
    root.put("tool_error_rate", toolErrorRate);
    ObjectNode latency = root.putObject("latency_ms");
    latency.put("p50", latencyP50Ms);
    latency.put("p95", latencyP95Ms);
    ObjectNode tokens = root.putObject("tokens");
    tokens.put("input", inputTokens);
    tokens.put("output", outputTokens);
    ObjectNode safety = root.putObject("safety");
    safety.put("pii_in_output", piiInOutput);
    safety.put("secret_leaks", secretLeaks);
    ObjectNode judge = root.putObject("judge");
    judge.put("judged", judged);
    judge.put("mean_score", judgeMeanScore);
    judge.put("degraded", judgeDegraded);
    root.put("latest_event_at_ms", latestEventAtMs);
    root.put("emitted_at_ms", emittedAtMs);
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }
}
