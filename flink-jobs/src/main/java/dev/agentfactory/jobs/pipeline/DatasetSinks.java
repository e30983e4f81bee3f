package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.dataset.DatasetKind;
import dev.agentfactory.connectors.dataset.DatasetRow;
import dev.agentfactory.connectors.dataset.ParquetFormats;
import dev.agentfactory.connectors.dataset.Withdrawal;
import dev.agentfactory.jobs.label.LabeledInteraction;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;

/**
 * One sink per dataset kind, attached to the scrubbed, filtered interaction stream: per kind a row
 * operator ({@code <kind>-row}) and a sink ({@code <kind>-parquet-sink}). The {@code sft} uids are
 * the ones the single-dataset job had, so its savepoints restore into this graph.
 *
 * <pre>{@code
 * DatasetSinks.parquet("/data/datasets").attach(filtered, policy.version());
 * }</pre>
 */
public final class DatasetSinks {

  private final Map<DatasetKind, Sink<DatasetRow>> sinks;
  private final Map<DatasetKind, Sink<Withdrawal>> withdrawals;

  /** {@code sinks} must have a sink for every kind; withdrawals are not recorded. */
  public DatasetSinks(Map<DatasetKind, Sink<DatasetRow>> sinks) {
    this(sinks, Map.of());
  }

  /**
   * {@code sinks} must have a sink for every kind; {@code withdrawals} receives, per kind, the rows
   * taken back by feedback (a kind without one: not recorded; {@code eval} is never withdrawn).
   */
  public DatasetSinks(
      Map<DatasetKind, Sink<DatasetRow>> sinks, Map<DatasetKind, Sink<Withdrawal>> withdrawals) {
    this.withdrawals = new EnumMap<>(DatasetKind.class);
    this.withdrawals.putAll(withdrawals);
    this.withdrawals.remove(DatasetKind.EVAL);
    this.sinks = new EnumMap<>(sinks);
    for (DatasetKind kind : DatasetKind.values()) {
      if (!this.sinks.containsKey(kind)) {
        throw new IllegalArgumentException("dataset sinks: no sink for kind " + kind.datasetName());
      }
    }
  }

  /**
   * Parquet part files under {@code <output>/<kind>/<yyyy-MM-dd--HH>/}, committed on each
   * checkpoint.
   */
  public static DatasetSinks parquet(String output) {
    Map<DatasetKind, Sink<DatasetRow>> sinks = new EnumMap<>(DatasetKind.class);
    Map<DatasetKind, Sink<Withdrawal>> withdrawals = new EnumMap<>(DatasetKind.class);
    for (DatasetKind kind : DatasetKind.values()) {
      sinks.put(kind, fileSink(output, kind));
      if (kind != DatasetKind.EVAL) {
        withdrawals.put(kind, withdrawalSink(output, kind));
      }
    }
    return new DatasetSinks(sinks, withdrawals);
  }

  /**
   * Withdrawals of a kind's rows under {@code <output>/_withdrawals/<kind>/<bucket>/}: beside the
   * datasets, not in one, so no reader of a dataset directory mistakes them for rows.
   */
  static FileSink<Withdrawal> withdrawalSink(String output, DatasetKind kind) {
    return FileSink.forBulkFormat(
            new Path(new Path(new Path(output), Withdrawal.DIRECTORY), kind.datasetName()),
            ParquetFormats.withdrawals())
        .withOutputFileConfig(
            OutputFileConfig.builder().withPartPrefix("part").withPartSuffix(".parquet").build())
        .build();
  }

  static FileSink<DatasetRow> fileSink(String output, DatasetKind kind) {
    return FileSink.forBulkFormat(
            new Path(new Path(output), kind.datasetName()),
            ParquetFormats.<DatasetRow>forKind(kind))
        .withOutputFileConfig(
            OutputFileConfig.builder().withPartPrefix("part").withPartSuffix(".parquet").build())
        .build();
  }

  /**
   * Adds a row operator and a sink per kind downstream of {@code events} (scrubbed, filtered and
   * labelled).
   */
  public void attach(DataStream<LabeledInteraction> events, String scrubPolicyVersion) {
    attach(events, null, scrubPolicyVersion);
  }

  /**
   * Adds a row operator and a sink per kind downstream of {@code events} (scrubbed, filtered and
   * labelled), and writes {@code twinWithdrawals} (may be null: none), withdrawals of the quality
   * filter's {@link QualityFilterFunction#EVAL_TWIN_WITHDRAWALS}, to every training kind's
   * withdrawals.
   */
  public void attach(
      DataStream<LabeledInteraction> events,
      DataStream<Withdrawal> twinWithdrawals,
      String scrubPolicyVersion) {
    for (DatasetKind kind : DatasetKind.values()) {
      String name = kind.datasetName();
      events
          .flatMap(new DatasetRowFunction(kind, scrubPolicyVersion))
          .returns(TypeInformation.of(DatasetRow.class))
          .uid(name + "-row")
          .name(name + "-row")
          .sinkTo(sinks.get(kind))
          .uid(name + "-parquet-sink")
          .name(name + "-parquet-sink");
    }
    // Parquet files are immutable: a later thumbs-down or eval mark cannot delete the turn's rows,
    // so it is recorded as a withdrawal that version cuts apply (docs/datasets.md). The sft uids
    // are those of the sft-only withdrawals, so savepoints restore. The twins of an eval example
    // join each kind's withdrawals in a union, which adds no operator: the uids stay as they were.
    withdrawals.forEach(
        (kind, sink) -> {
          String name = kind.datasetName();
          DataStream<Withdrawal> kindWithdrawals =
              events
                  .flatMap(new WithdrawalFunction(kind))
                  .returns(TypeInformation.of(Withdrawal.class))
                  .uid(name + "-withdrawal")
                  .name(name + "-withdrawal");
          if (twinWithdrawals != null) {
            kindWithdrawals = kindWithdrawals.union(twinWithdrawals);
          }
          kindWithdrawals
              .sinkTo(sink)
              .uid(name + "-withdrawals-parquet-sink")
              .name(name + "-withdrawals-parquet-sink");
        });
  }
}
