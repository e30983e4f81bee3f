package dev.agentfactory.connectors.dataset;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * The {@code sft} dataset: {@code messages} ({@code list<struct<role, content, tool_call_id?,
 * name?, tool_calls?>>}) plus the provenance columns listed in {@link DatasetSchemas}.
 */
public final class SftDataset {

  /** The dataset name, also its directory under the dataset root. */
  public static final String NAME = DatasetKind.SFT.datasetName();

  /** The Avro schema the Parquet schema is derived from. */
  public static final Schema AVRO_SCHEMA = DatasetKind.SFT.avroSchema();

  private SftDataset() {}

  /** The Avro record for a row. */
  public static GenericRecord toRecord(SftRow row) {
    return DatasetSchemas.toRecord(row);
  }
}
