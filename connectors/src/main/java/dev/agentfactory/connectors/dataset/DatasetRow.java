package dev.agentfactory.connectors.dataset;

/**
 * A row of one of the dataset kinds. Each kind has its TRL-compatible columns plus the {@link
 * Provenance} columns; {@link DatasetSchemas} maps a row to its Avro record.
 */
public sealed interface DatasetRow permits SftRow, PreferenceRow, UnpairedRow, RftRow, EvalRow {

  DatasetKind kind();

  Provenance provenance();
}
