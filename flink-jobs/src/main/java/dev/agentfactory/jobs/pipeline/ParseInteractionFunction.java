package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import dev.agentfactory.connectors.event.InvalidEventException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.flink.util.function.SerializableFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses and validates raw Kafka records into {@link Interaction}s. Invalid events go to the {@link
 * #DEAD_LETTERS} side output with the reason; they never fail the job.
 *
 * <p>Whatever parsing throws goes there too, not only {@link InvalidEventException}: a record is
 * the same bytes on every replay, so an exception it causes here would fail the job, restart it on
 * the same record and stop the pipeline for good. Such a dead letter names the document ({@code $})
 * and the exception's class and message, and counts in the {@code unexpected_parse_failures}
 * metric: it is a bug of the codec to fix, after which the event can be replayed.
 */
public final class ParseInteractionFunction extends ProcessFunction<KafkaRecord, Interaction> {
  private static final long serialVersionUID = 1L;

  private static final Logger LOG = LoggerFactory.getLogger(ParseInteractionFunction.class);

  /** Rejected events, with the reason naming the field. */
  public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

  /** The codec is stateless and thread-safe: one per class loader is enough. */
  private static final InteractionCodec CODEC = new InteractionCodec();

  private final SerializableFunction<byte[], Interaction> parser;

  private transient Counter unexpectedFailures;

  public ParseInteractionFunction() {
    // A lambda, not CODEC::parse: a bound method reference would capture the codec, which Flink
    // would then have to serialise with the function.
    this(value -> CODEC.parse(value));
  }

  /** With another parser than the codec's: tests use one that fails as a codec bug would. */
  ParseInteractionFunction(SerializableFunction<byte[], Interaction> parser) {
    this.parser = parser;
  }

  @Override
  public void open(OpenContext openContext) {
    unexpectedFailures = getRuntimeContext().getMetricGroup().counter("unexpected_parse_failures");
  }

  @Override
  public void processElement(KafkaRecord record, Context ctx, Collector<Interaction> out) {
    Interaction event;
    try {
      event = parser.apply(record.value());
    } catch (InvalidEventException e) {
      ctx.output(DEAD_LETTERS, deadLetter(record, e.field(), e.getMessage()));
      return;
    } catch (RuntimeException e) {
      unexpectedFailures.inc();
      // Logged with its stack trace: unlike a rejection, this is a bug to find.
      LOG.warn("Parsing the record at {} failed unexpectedly; dead-lettered", record.origin(), e);
      ctx.output(
          DEAD_LETTERS,
          deadLetter(
              record, "$", "$: cannot parse: " + e.getClass().getName() + ": " + e.getMessage()));
      return;
    }
    out.collect(event);
  }

  private static DeadLetter deadLetter(KafkaRecord record, String field, String reason) {
    return new DeadLetter(record.key(), record.value(), field, reason, record.origin());
  }
}
