package dev.agentfactory.connectors.dataset.version;

import java.util.Objects;

/**
 * The schema shared by every file of a version.
 *
 * @param parquet the Parquet message type, as {@code MessageType.toString()} prints it
 * @param avro the Avro schema JSON from the footer's {@code parquet.avro.schema} key, or null
 */
public record DatasetSchema(String parquet, String avro) {

  public DatasetSchema {
    Objects.requireNonNull(parquet, "parquet");
  }
}
