package dev.agentfactory.connectors.dataset;

import java.util.Objects;

/**
 * One element of the {@code labels} column: a categorical verdict on a row.
 *
 * @param name what is labelled, e.g. {@code user_rating} or {@code helpfulness}
 * @param value the label, e.g. {@code up} or {@code good}
 * @param source who labelled: {@code user} (feedback in the event), {@code rule}, {@code judge}
 * @param model the judge model, null unless {@code source} is a model
 * @param rubricVersion the rubric or rule set version, null if none
 * @param degraded true if the label came from a fallback (e.g. the judge was unavailable)
 */
public record Label(
    String name,
    String value,
    String source,
    String model,
    String rubricVersion,
    boolean degraded) {

  /** The {@code source} of labels taken from a person's feedback in the event. */
  public static final String SOURCE_USER = "user";

  /** The {@code name} of the label a thumbs up or down becomes. */
  public static final String USER_RATING = "user_rating";

  /** The {@code name} of the label a feedback comment becomes (its value is the scrubbed text). */
  public static final String USER_COMMENT = "user_comment";

  /** A label from a rule or the judge, with its source as {@link Source#json()}. */
  public Label(
      String name,
      String value,
      Source source,
      String model,
      String rubricVersion,
      boolean degraded) {
    this(name, value, source.json(), model, rubricVersion, degraded);
  }

  /** Who produced a label inside the pipeline (feedback labels use {@link #SOURCE_USER}). */
  public enum Source {
    RULE("rule"),
    JUDGE("judge");

    private final String json;

    Source(String json) {
      this.json = json;
    }

    /** The lower-case value in the dataset's {@code source} field. */
    public String json() {
      return json;
    }
  }

  public Label {
    Objects.requireNonNull(name, "labels.name");
    Objects.requireNonNull(value, "labels.value");
    Objects.requireNonNull(source, "labels.source");
  }
}
