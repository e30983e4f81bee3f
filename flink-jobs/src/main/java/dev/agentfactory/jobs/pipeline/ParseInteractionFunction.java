package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import dev.agentfactory.connectors.event.InvalidEventException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Parses and validates raw Kafka records into {@link Interaction}s. Invalid events go to the {@link
 * #DEAD_LETTERS} side output with the reason; they never fail the job.
 */
public final class ParseInteractionFunction extends ProcessFunction<KafkaRecord, Interaction> {
  private static final long serialVersionUID = 1L;

  /** Rejected events, with the reason naming the field. */
  public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

  private transient InteractionCodec codec;

  @Override
  public void open(OpenContext openContext) {
    codec = new InteractionCodec();
  }

  @Override
  public void processElement(KafkaRecord record, Context ctx, Collector<Interaction> out) {
    try {
      out.collect(codec.parse(record.value()));
    } catch (InvalidEventException e) {
      ctx.output(
          DEAD_LETTERS,
          new DeadLetter(record.key(), record.value(), e.field(), e.getMessage(), record.origin()));
    }
  }
}
