package dev.agentfactory.edge.eval;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * One record of the live evaluation topic, checked once where it enters the edge: who it belongs to
 * and which window it describes. The document is served as the pipeline wrote it (format in {@code
 * docs/evaluation.md}).
 */
public record LiveMetric(
    String tenant, String agent, String agentVersion, long windowEndMs, JsonObject document) {

  /** One series: its latest window wins. */
  public record Series(String tenant, String agent, String agentVersion) {}

  /**
   * The series this window belongs to; the names stay apart (joined by {@code /} they did not:
   * tenant {@code a/b} with agent {@code c} was tenant {@code a} with agent {@code b/c}).
   */
  public Series key() {
    return new Series(tenant, agent, agentVersion);
  }

  /**
   * @throws IllegalArgumentException naming the missing or mistyped field
   */
  public static LiveMetric parse(String json) {
    JsonObject doc;
    try {
      doc = new JsonObject(json);
    } catch (DecodeException e) {
      throw new IllegalArgumentException("$: not a JSON object", e);
    }
    return new LiveMetric(
        text(doc, "tenant"),
        text(doc, "agent"),
        text(doc, "agent_version"),
        number(doc, "window_end_ms"),
        doc);
  }

  private static String text(JsonObject doc, String field) {
    Object value = doc.getValue(field);
    if (!(value instanceof String s) || s.isBlank()) {
      throw new IllegalArgumentException(field + ": must be a non-blank string");
    }
    return s;
  }

  private static long number(JsonObject doc, String field) {
    Object value = doc.getValue(field);
    if (!(value instanceof Number n)) {
      throw new IllegalArgumentException(field + ": must be a number");
    }
    return n.longValue();
  }
}
