package dev.agentfactory.jobs.label;

import dev.agentfactory.connectors.dataset.Label;
import dev.agentfactory.connectors.dataset.Score;
import java.io.Serializable;

/**
 * What the judge said about one example.
 *
 * @param score the rubric's 1–5 rating mapped to [0, 1]
 * @param verdict {@code pass} (rating 4 or 5) or {@code fail}
 * @param model the judge model that answered
 * @param rubricVersion the rubric the judge was given
 */
public record JudgeVerdict(double score, String verdict, String model, String rubricVersion)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  public static final String VERDICT_LABEL = "judge_verdict";
  public static final String SCORE = "judge_score";

  public Label label() {
    return new Label(VERDICT_LABEL, verdict, Label.Source.JUDGE, model, rubricVersion, false);
  }

  public Score scoreColumn() {
    return new Score(SCORE, score, Label.Source.JUDGE.json(), model, rubricVersion, false);
  }

  /** The label when the judge did not answer in time or failed: no verdict, no score. */
  public static Label degraded(String model, String rubricVersion) {
    return new Label(VERDICT_LABEL, "unknown", Label.Source.JUDGE, model, rubricVersion, true);
  }
}
