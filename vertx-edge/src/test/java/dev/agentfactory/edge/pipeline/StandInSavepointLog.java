package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.kafka.SavepointLog;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * A cluster's record of stops without Kafka: holds its entries in memory, notes when (by a test's
 * clock) each read happened, and fails reads while {@link #readable} is false, as when Kafka is
 * away.
 */
final class StandInSavepointLog extends SavepointLog {

  private final LongSupplier nanoClock;

  /** What {@link #entries} answers, oldest first, for any job name. */
  final List<Entry> entries = new CopyOnWriteArrayList<>();

  /** The time ({@link #nanoClock}) of every read, failed ones included. */
  final List<Long> readAt = new CopyOnWriteArrayList<>();

  /** False: every read fails. */
  volatile boolean readable = true;

  StandInSavepointLog(LongSupplier nanoClock) {
    super("127.0.0.1:1", Duration.ofSeconds(1)); // never used: nothing here asks Kafka
    this.nanoClock = nanoClock;
  }

  @Override
  public List<Entry> entries(String jobName) {
    readAt.add(nanoClock.getAsLong());
    if (!readable) {
      throw new IllegalStateException("Kafka at 127.0.0.1:1 did not serve the record (stand-in)");
    }
    return List.copyOf(entries);
  }

  @Override
  public void record(String jobName, Entry entry) {
    entries.add(entry);
  }
}
