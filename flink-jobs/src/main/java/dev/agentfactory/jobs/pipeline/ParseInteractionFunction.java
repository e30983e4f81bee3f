package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import dev.agentfactory.connectors.event.InvalidEventException;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
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
 * and the exception's class and message, and counts in the {@value #UNEXPECTED_FAILURES_METRIC}
 * metric: it is a bug of the codec to fix, after which the event can be replayed.
 *
 * <p>Every dead letter increments the counter of its {@link DeadLetterKind}, e.g. {@code
 * dead_letters_malformed}, in the operator's metric group.
 */
public final class ParseInteractionFunction extends ProcessFunction<KafkaRecord, Interaction> {
  private static final long serialVersionUID = 1L;

  private static final Logger LOG = LoggerFactory.getLogger(ParseInteractionFunction.class);

  /** Rejected events, with the reason naming the field. */
  public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

  /** The counter of dead letters caused by a codec bug (also counted as {@code UNEXPECTED}). */
  public static final String UNEXPECTED_FAILURES_METRIC = "unexpected_parse_failures";

  /** The codec is stateless and thread-safe: one per class loader is enough. */
  private static final InteractionCodec CODEC = new InteractionCodec();

  private final SerializableFunction<byte[], Interaction> parser;

  private transient Counter unexpectedFailures;
  private transient Map<DeadLetterKind, Counter> deadLetters;

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
    MetricGroup metrics = getRuntimeContext().getMetricGroup();
    unexpectedFailures = metrics.counter(UNEXPECTED_FAILURES_METRIC);
    deadLetters = new EnumMap<>(DeadLetterKind.class);
    for (DeadLetterKind kind : DeadLetterKind.values()) {
      deadLetters.put(kind, metrics.counter(kind.metricName()));
    }
  }

  @Override
  public void processElement(KafkaRecord record, Context ctx, Collector<Interaction> out) {
    Interaction event;
    try {
      event = parser.apply(record.value());
    } catch (InvalidEventException e) {
      // "$" is the document itself (InvalidEventException#field): no JSON object to validate
      DeadLetterKind kind =
          e.field().equals("$") ? DeadLetterKind.MALFORMED : DeadLetterKind.INVALID;
      deadLetter(ctx, kind, record, e.field(), e.getMessage());
      return;
    } catch (RuntimeException e) {
      unexpectedFailures.inc();
      // Logged with its stack trace: unlike a rejection, this is a bug to find.
      LOG.warn("Parsing the record at {} failed unexpectedly; dead-lettered", record.origin(), e);
      deadLetter(
          ctx,
          DeadLetterKind.UNEXPECTED,
          record,
          "$",
          "$: cannot parse: " + e.getClass().getName() + ": " + e.getMessage());
      return;
    }
    out.collect(event);
  }

  /** Sends {@code record} to {@link #DEAD_LETTERS} and counts it: the one way out for a reject. */
  private void deadLetter(
      Context ctx, DeadLetterKind kind, KafkaRecord record, String field, String reason) {
    deadLetters.get(kind).inc();
    ctx.output(
        DEAD_LETTERS, new DeadLetter(record.key(), record.value(), field, reason, record.origin()));
  }
}
