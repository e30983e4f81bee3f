package dev.agentfactory.jobs.label;

import dev.agentfactory.connectors.dataset.Label;
import dev.agentfactory.connectors.dataset.Score;
import dev.agentfactory.connectors.event.Interaction;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** A (scrubbed) interaction with the labels and scores the pipeline gave it so far. */
public record LabeledInteraction(Interaction event, List<Label> labels, List<Score> scores) {

  public LabeledInteraction {
    Objects.requireNonNull(event, "event");
    labels = List.copyOf(labels);
    scores = List.copyOf(scores);
  }

  /** This interaction with {@code label} and {@code score} (if not null) added. */
  public LabeledInteraction plus(Label label, Score score) {
    List<Label> newLabels = new ArrayList<>(labels);
    newLabels.add(label);
    List<Score> newScores = new ArrayList<>(scores);
    if (score != null) {
      newScores.add(score);
    }
    return new LabeledInteraction(event, newLabels, newScores);
  }

  /** The value of the first label called {@code name}, or null. */
  public String labelValue(String name) {
    for (Label l : labels) {
      if (l.name().equals(name)) {
        return l.value();
      }
    }
    return null;
  }

  /** The first score called {@code name}, or NaN. */
  public double score(String name) {
    for (Score s : scores) {
      if (s.name().equals(name)) {
        return s.value();
      }
    }
    return Double.NaN;
  }
}
