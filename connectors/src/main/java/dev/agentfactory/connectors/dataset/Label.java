package dev.agentfactory.connectors.dataset;

import java.util.Objects;

/**
 * One label of an example, an element of the {@code labels} column.
 *
 * <pre>{@code
 * new Label("tool_error", "true", Label.Source.RULE, null, "rules-v1", false);
 * new Label("judge_verdict", "pass", Label.Source.JUDGE, "gpt-4o-mini", "judge-v1", false);
 * }</pre>
 *
 * @param name what is labelled, e.g. {@code tool_error}, {@code latency_bucket}
 * @param value the label value as text, e.g. {@code true}, {@code lt_1s}, {@code pass}
 * @param source who labelled: a rule or an LLM judge
 * @param model the judge model; null for rules
 * @param rubricVersion the version of the rules or the judge rubric that produced the label
 * @param degraded true when the labeler could not decide (judge timed out or failed): the value is
 *     then {@code unknown} and must not be trained on as a verdict
 */
public record Label(
    String name,
    String value,
    Source source,
    String model,
    String rubricVersion,
    boolean degraded) {

  public Label {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(source, "source");
  }

  /** Who produced a label. */
  public enum Source {
    RULE("rule"),
    JUDGE("judge");

    private final String json;

    Source(String json) {
      this.json = json;
    }

    /** The lower-case value in the dataset. */
    public String json() {
      return json;
    }
  }
}
