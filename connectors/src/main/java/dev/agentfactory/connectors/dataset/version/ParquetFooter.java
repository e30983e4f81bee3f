package dev.agentfactory.connectors.dataset.version;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * What a cut needs from one Parquet file: row count and schema from the footer, and the distinct
 * values of the {@code scrub_policy} column when the schema has one.
 */
record ParquetFooter(long rows, MessageType schema, String avroSchema, Set<String> scrubPolicies) {

  static final String SCRUB_POLICY_COLUMN = "scrub_policy";

  private static final String AVRO_SCHEMA_KEY = "parquet.avro.schema";

  /**
   * Reads the footer of a local file; never writes it.
   *
   * @param withScrubPolicies whether to read the {@code scrub_policy} column's values as well
   */
  static ParquetFooter read(Path file, boolean withScrubPolicies) throws IOException {
    try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file))) {
      FileMetaData meta = reader.getFooter().getFileMetaData();
      MessageType schema = meta.getSchema();
      Set<String> policies = new TreeSet<>();
      if (withScrubPolicies && hasScrubPolicyColumn(schema)) {
        readScrubPolicies(reader, schema, policies);
      }
      return new ParquetFooter(
          reader.getRecordCount(),
          schema,
          meta.getKeyValueMetaData().get(AVRO_SCHEMA_KEY),
          policies);
    }
  }

  private static boolean hasScrubPolicyColumn(MessageType schema) {
    if (!schema.containsField(SCRUB_POLICY_COLUMN)) {
      return false;
    }
    Type type = schema.getType(SCRUB_POLICY_COLUMN);
    return type.isPrimitive()
        && type.asPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.BINARY
        && !type.isRepetition(Type.Repetition.REPEATED);
  }

  // Reads only the scrub_policy column chunks (a projection): it is dictionary-encoded and small.
  private static void readScrubPolicies(
      ParquetFileReader reader, MessageType schema, Set<String> out) throws IOException {
    MessageType projection = new MessageType(schema.getName(), schema.getType(SCRUB_POLICY_COLUMN));
    reader.setRequestedSchema(projection);
    ColumnIOFactory columns = new ColumnIOFactory();
    PageReadStore pages;
    while ((pages = reader.readNextRowGroup()) != null) {
      RecordReader<Group> records =
          columns
              .getColumnIO(projection)
              .getRecordReader(pages, new GroupRecordConverter(projection));
      for (long i = 0; i < pages.getRowCount(); i++) {
        Group row = records.read();
        if (row.getFieldRepetitionCount(SCRUB_POLICY_COLUMN) > 0) {
          out.add(row.getString(SCRUB_POLICY_COLUMN, 0));
        }
      }
    }
  }
}
