package dev.agentfactory.connectors.dataset.version;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
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
 * values of the {@code scrub_policy_version} column (or the older {@code scrub_policy}) when the
 * schema has one.
 */
record ParquetFooter(long rows, MessageType schema, String avroSchema, Set<String> scrubPolicies) {

  /** The column naming the scrub policy version of each row. */
  static final String SCRUB_POLICY_COLUMN = "scrub_policy_version";

  /** Its name in files written before the dataset kinds (same meaning). */
  static final String LEGACY_SCRUB_POLICY_COLUMN = "scrub_policy";

  /** The scrub policy column of {@code schema}, or null if it has none. */
  static String scrubPolicyColumn(MessageType schema) {
    for (String column : new String[] {SCRUB_POLICY_COLUMN, LEGACY_SCRUB_POLICY_COLUMN}) {
      if (isStringColumn(schema, column)) {
        return column;
      }
    }
    return null;
  }

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
      String column = scrubPolicyColumn(schema);
      if (withScrubPolicies && column != null) {
        readStrings(reader, schema, column, policies::add);
      }
      return new ParquetFooter(
          reader.getRecordCount(),
          schema,
          meta.getKeyValueMetaData().get(AVRO_SCHEMA_KEY),
          policies);
    }
  }

  static boolean isStringColumn(MessageType schema, String column) {
    if (!schema.containsField(column)) {
      return false;
    }
    Type type = schema.getType(column);
    return type.isPrimitive()
        && type.asPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.BINARY
        && !type.isRepetition(Type.Repetition.REPEATED);
  }

  /**
   * Reads only {@code column}'s chunks (a projection) and hands over each row's value; rows without
   * one are skipped. Used for the dictionary-encoded, small scrub_policy and example_id columns.
   */
  static void readStrings(
      ParquetFileReader reader, MessageType schema, String column, Consumer<String> out)
      throws IOException {
    MessageType projection = new MessageType(schema.getName(), schema.getType(column));
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
        if (row.getFieldRepetitionCount(column) > 0) {
          out.accept(row.getString(column, 0));
        }
      }
    }
  }

  /**
   * Reads only {@code columns}' chunks (a projection) and hands over each row's values, null where
   * a row has none. Every column must be a {@link #isStringColumn string column}.
   */
  static void readStringRows(
      ParquetFileReader reader, MessageType schema, List<String> columns, Consumer<String[]> out)
      throws IOException {
    List<Type> types = new ArrayList<>(columns.size());
    for (String column : columns) {
      types.add(schema.getType(column));
    }
    MessageType projection = new MessageType(schema.getName(), types);
    reader.setRequestedSchema(projection);
    ColumnIOFactory factory = new ColumnIOFactory();
    PageReadStore pages;
    while ((pages = reader.readNextRowGroup()) != null) {
      RecordReader<Group> records =
          factory
              .getColumnIO(projection)
              .getRecordReader(pages, new GroupRecordConverter(projection));
      for (long i = 0; i < pages.getRowCount(); i++) {
        Group row = records.read();
        String[] values = new String[columns.size()];
        for (int c = 0; c < values.length; c++) {
          String column = columns.get(c);
          values[c] = row.getFieldRepetitionCount(column) > 0 ? row.getString(column, 0) : null;
        }
        out.accept(values);
      }
    }
  }
}
