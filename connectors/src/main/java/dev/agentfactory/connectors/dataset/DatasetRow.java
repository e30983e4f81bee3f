package dev.agentfactory.connectors.dataset;

import java.util.List;

/**
 * A row of one of the dataset kinds. Each kind has its TRL-compatible columns plus the {@link
 * Provenance} columns; {@link DatasetSchemas} maps a row to its Avro record.
 */
public sealed interface DatasetRow permits SftRow, PreferenceRow, UnpairedRow, RftRow, EvalRow {

  DatasetKind kind();

  Provenance provenance();

  /** This row with {@code labels} and {@code scores} added to its provenance. */
  default DatasetRow withVerdicts(List<Label> labels, List<Score> scores) {
    if (labels.isEmpty() && scores.isEmpty()) {
      return this;
    }
    Provenance p = provenance().withVerdicts(labels, scores);
    if (this instanceof SftRow r) {
      return new SftRow(p, r.messages());
    } else if (this instanceof PreferenceRow r) {
      return new PreferenceRow(p, r.prompt(), r.chosen(), r.rejected());
    } else if (this instanceof UnpairedRow r) {
      return new UnpairedRow(p, r.prompt(), r.completion(), r.label());
    } else if (this instanceof RftRow r) {
      return new RftRow(p, r.prompt(), r.groundTruth(), r.verifier());
    } else if (this instanceof EvalRow r) {
      return new EvalRow(p, r.input(), r.expected(), r.rubric());
    }
    throw new IllegalStateException("unknown row type " + getClass());
  }
}
