package dev.agentfactory.connectors.dataset;

import dev.agentfactory.connectors.event.Interaction;
import java.util.Optional;

/**
 * Derives rows of each dataset kind from scrubbed interaction events; the rules are in {@code
 * docs/datasets.md}. An event gives at most one row per kind.
 *
 * <pre>{@code
 * Optional<DatasetRow> row = DatasetRows.derive(DatasetKind.PREFERENCE, event, "pii-v1");
 * }</pre>
 */
public final class DatasetRows {

  private DatasetRows() {}

  /** The row of {@code kind} for {@code event}, empty if the event does not qualify. */
  public static Optional<DatasetRow> derive(
      DatasetKind kind, Interaction event, String scrubPolicyVersion) {
    return switch (kind) {
      case SFT -> SftRow.derive(event, scrubPolicyVersion).map(DatasetRow.class::cast);
      case PREFERENCE ->
          PreferenceRow.derive(event, scrubPolicyVersion).map(DatasetRow.class::cast);
      case UNPAIRED -> UnpairedRow.derive(event, scrubPolicyVersion).map(DatasetRow.class::cast);
      case RFT -> RftRow.derive(event, scrubPolicyVersion).map(DatasetRow.class::cast);
      case EVAL -> EvalRow.derive(event, scrubPolicyVersion).map(DatasetRow.class::cast);
    };
  }
}
