package dev.agentfactory.connectors.dataset;

import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.formats.parquet.ParquetBuilder;
import org.apache.flink.formats.parquet.ParquetWriterFactory;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroSchemaConverter;
import org.apache.parquet.avro.AvroWriteSupport;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/**
 * Parquet bulk formats for Flink's {@code FileSink} that write the dataset contract: standard
 * 3-level lists, INT64 timestamps, zstd.
 *
 * <pre>{@code
 * FileSink.forBulkFormat(new Path(root, "sft"), ParquetFormats.sft()).build();
 * FileSink.forBulkFormat(new Path(root, "rft"), ParquetFormats.<RftRow>forKind(DatasetKind.RFT))
 *     .build();
 * }</pre>
 *
 * <p>Flink's own {@code AvroParquetWriters} writes the legacy 2-level list layout, which some
 * readers (DuckDB, Spark without legacy flags) read as a list of lists or refuse; here the Avro
 * write support and the schema conversion both run with {@code
 * parquet.avro.write-old-list-structure=false}.
 */
public final class ParquetFormats {

  private ParquetFormats() {}

  /** The {@code sft} dataset format for {@link SftRow}. */
  public static ParquetWriterFactory<SftRow> sft() {
    return forKind(DatasetKind.SFT);
  }

  /**
   * The format of one dataset kind. Rows of another kind fail in the writer: give each kind its own
   * sink.
   */
  public static <T extends DatasetRow> ParquetWriterFactory<T> forKind(DatasetKind kind) {
    return new ParquetWriterFactory<>(
        new Builder<>(kind.avroSchema().toString(), new RowMapping<T>()));
  }

  /**
   * The format of a dataset's withdrawals ({@code <dataset>/_withdrawals/}): {@link Withdrawal}
   * rows.
   */
  public static ParquetWriterFactory<Withdrawal> withdrawals() {
    return new ParquetWriterFactory<>(
        new Builder<>(Withdrawal.SCHEMA.toString(), new WithdrawalMapping()));
  }

  static final class WithdrawalMapping implements SerializableMapping<Withdrawal> {
    private static final long serialVersionUID = 1L;

    @Override
    public GenericRecord apply(Withdrawal row) {
      return row.toRecord();
    }
  }

  /** The Avro row mapping as a serialisable function object. */
  static final class RowMapping<T extends DatasetRow> implements SerializableMapping<T> {
    private static final long serialVersionUID = 1L;

    @Override
    public GenericRecord apply(T row) {
      return DatasetSchemas.toRecord(row);
    }
  }

  /** A row-to-Avro mapping that Flink can ship with the job graph. */
  public interface SerializableMapping<T>
      extends Function<T, GenericRecord>, java.io.Serializable {}

  /** Builds a Parquet writer per part file; holds only serialisable state (the schema as JSON). */
  static final class Builder<T> implements ParquetBuilder<T> {
    private static final long serialVersionUID = 1L;

    private final String avroSchemaJson;
    private final SerializableMapping<T> mapping;

    Builder(String avroSchemaJson, SerializableMapping<T> mapping) {
      this.avroSchemaJson = avroSchemaJson;
      this.mapping = mapping;
    }

    @Override
    public ParquetWriter<T> createWriter(OutputFile out) throws java.io.IOException {
      Configuration conf = new Configuration(false);
      conf.setBoolean(AvroWriteSupport.WRITE_OLD_LIST_STRUCTURE, false);
      Schema schema = new Schema.Parser().parse(avroSchemaJson);
      return new WriterBuilder<>(out, schema, mapping)
          .withConf(conf)
          .withCompressionCodec(CompressionCodecName.ZSTD)
          .build();
    }
  }

  private static final class WriterBuilder<T> extends ParquetWriter.Builder<T, WriterBuilder<T>> {
    private final Schema schema;
    private final Function<T, GenericRecord> mapping;

    WriterBuilder(OutputFile out, Schema schema, Function<T, GenericRecord> mapping) {
      super(out);
      this.schema = schema;
      this.mapping = mapping;
    }

    @Override
    protected WriterBuilder<T> self() {
      return this;
    }

    // The Hadoop-Configuration variants are deprecated in favour of ParquetConfiguration, but
    // parquet-avro's list setting and Flink's writers are proven with these; both need Hadoop.
    @SuppressWarnings("deprecation")
    @Override
    protected WriteSupport<T> getWriteSupport(Configuration conf) {
      return new MappingWriteSupport<>(schema, mapping);
    }
  }

  /** Maps each value to an Avro record and hands it to parquet-avro's write support. */
  private static final class MappingWriteSupport<T> extends WriteSupport<T> {
    private final Schema schema;
    private final Function<T, GenericRecord> mapping;
    private AvroWriteSupport<GenericRecord> delegate;

    MappingWriteSupport(Schema schema, Function<T, GenericRecord> mapping) {
      this.schema = schema;
      this.mapping = mapping;
    }

    @SuppressWarnings("deprecation")
    @Override
    public WriteContext init(Configuration conf) {
      // The Parquet schema must be converted with the same list setting the writer uses.
      MessageType parquetSchema = new AvroSchemaConverter(conf).convert(schema);
      delegate = new AvroWriteSupport<>(parquetSchema, schema, GenericData.get());
      return delegate.init(conf);
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
      delegate.prepareForWrite(recordConsumer);
    }

    @Override
    public void write(T value) {
      delegate.write(mapping.apply(value));
    }

    @Override
    public String getName() {
      return "agent-factory-avro";
    }
  }
}
