package dev.agentfactory.connectors.dataset;

import java.util.Optional;
import org.apache.avro.Schema;

/**
 * The dataset kinds the pipeline writes, one dataset (directory) each. Columns follow the Hugging
 * Face TRL dataset formats (conversational variants); how each kind is derived from interaction
 * events is in {@code docs/datasets.md}.
 */
public enum DatasetKind {
  /** Supervised fine-tuning: {@code messages}. */
  SFT("sft"),
  /** Preference pairs (DPO and friends): {@code prompt}, {@code chosen}, {@code rejected}. */
  PREFERENCE("preference"),
  /** Unpaired preference (KTO): {@code prompt}, {@code completion}, {@code label}. */
  UNPAIRED("unpaired"),
  /** Reinforcement fine-tuning (GRPO): {@code prompt}, {@code ground_truth}, {@code verifier}. */
  RFT("rft"),
  /** Evaluation examples: {@code input}, {@code expected}, {@code rubric}. */
  EVAL("eval");

  private final String datasetName;

  DatasetKind(String datasetName) {
    this.datasetName = datasetName;
  }

  /** The dataset name, also its directory under the dataset root and its name in the REST API. */
  public String datasetName() {
    return datasetName;
  }

  /** The Avro schema its Parquet schema is derived from. */
  public Schema avroSchema() {
    return DatasetSchemas.of(this);
  }

  /** The kind whose dataset is called {@code name}, if any. */
  public static Optional<DatasetKind> byDatasetName(String name) {
    for (DatasetKind kind : values()) {
      if (kind.datasetName.equals(name)) {
        return Optional.of(kind);
      }
    }
    return Optional.empty();
  }
}
