package dev.agentfactory.connectors.dataset.version;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.avro.AvroWriteSupport;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;

/**
 * Rows taken back after they were committed. The pipeline writes a dataset's withdrawals as Parquet
 * under {@code <root>/_withdrawals/<dataset>/} (column {@code example_id}, the withdrawn turn's
 * event id); a cut reads those committed when it lists the data files and versions, instead of each
 * data file holding a withdrawn row, a copy without those rows under {@code _filtered/}. A row is
 * withdrawn if its {@code example_id} is (the turn's own row) or its {@code amends_event_id} is (a
 * row an amendment of the turn made). Committed files are never modified.
 */
final class WithdrawnRows {

  /** The withdrawals of all datasets, relative to the datasets root; one directory per dataset. */
  static final String WITHDRAWALS_DIR = "_withdrawals";

  /** Where a cut writes its filtered copies, relative to the dataset directory. */
  static final String FILTERED_DIR = "_filtered";

  static final String EXAMPLE_ID = "example_id";

  /** The turn an amending event's row belongs to; files written before it lack the column. */
  static final String AMENDS_EVENT_ID = "amends_event_id";

  private WithdrawnRows() {}

  /** The example ids withdrawn from dataset {@code name} in its committed withdrawal files. */
  static Set<String> read(Path root, String name) throws IOException {
    Path dir = root.resolve(WITHDRAWALS_DIR).resolve(name);
    Set<String> ids = new HashSet<>();
    if (!Files.isDirectory(dir)) {
      return ids;
    }
    for (String file : CommittedFiles.scan(dir)) {
      strings(dir.resolve(file), EXAMPLE_ID, ids::add);
    }
    return ids;
  }

  /** How many rows of {@code file} are withdrawn (0 without an {@code example_id} column). */
  static long count(Path file, MessageType schema, Set<String> withdrawn) throws IOException {
    if (withdrawn.isEmpty() || !ParquetFooter.isStringColumn(schema, EXAMPLE_ID)) {
      return 0;
    }
    List<String> columns =
        ParquetFooter.isStringColumn(schema, AMENDS_EVENT_ID)
            ? List.of(EXAMPLE_ID, AMENDS_EVENT_ID)
            : List.of(EXAMPLE_ID);
    long[] hits = {0};
    try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file))) {
      ParquetFooter.readStringRows(
          reader,
          reader.getFooter().getFileMetaData().getSchema(),
          columns,
          ids -> {
            for (String id : ids) {
              if (id != null && withdrawn.contains(id)) {
                hits[0]++;
                return;
              }
            }
          });
    }
    return hits[0];
  }

  /**
   * Writes {@code target}: the rows of {@code source} whose example id is not withdrawn, with the
   * same schema and compression as the pipeline's files. Returns the rows written.
   */
  @SuppressWarnings("deprecation") // the Hadoop Configuration variants, as in ParquetFormats
  static long copyWithout(Path source, Path target, String avroSchema, Set<String> withdrawn)
      throws IOException {
    if (avroSchema == null) {
      throw new IOException(source + " has no Avro schema in its footer; cannot copy its rows");
    }
    Files.createDirectories(target.getParent());
    Configuration conf = new Configuration(false);
    conf.setBoolean(AvroWriteSupport.WRITE_OLD_LIST_STRUCTURE, false);
    long written = 0;
    try (ParquetReader<GenericRecord> reader =
            AvroParquetReader.<GenericRecord>builder(new LocalInputFile(source))
                .withDataModel(GenericData.get())
                .withConf(conf)
                .build();
        ParquetWriter<GenericRecord> writer =
            AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(target))
                .withSchema(new Schema.Parser().parse(avroSchema))
                .withDataModel(GenericData.get())
                .withConf(conf)
                .withCompressionCodec(CompressionCodecName.ZSTD)
                .build()) {
      GenericRecord row;
      while ((row = reader.read()) != null) {
        if (!isWithdrawn(row, withdrawn)) {
          writer.write(row);
          written++;
        }
      }
    }
    return written;
  }

  private static boolean isWithdrawn(GenericRecord row, Set<String> withdrawn) {
    Object id = row.get(EXAMPLE_ID);
    if (id != null && withdrawn.contains(id.toString())) {
      return true;
    }
    Object turn = row.hasField(AMENDS_EVENT_ID) ? row.get(AMENDS_EVENT_ID) : null;
    return turn != null && withdrawn.contains(turn.toString());
  }

  // Reads one string column (a projection), as the scrub policy column is read.
  private static void strings(Path file, String column, Consumer<String> out) throws IOException {
    try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file))) {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      if (!ParquetFooter.isStringColumn(schema, column)) {
        throw new IOException(file + " has no string column " + column);
      }
      ParquetFooter.readStrings(reader, schema, column, out);
    }
  }
}
