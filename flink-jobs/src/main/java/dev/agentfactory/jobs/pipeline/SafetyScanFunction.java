package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Role;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.jobs.eval.EvalSample;
import dev.agentfactory.jobs.pii.EntityType;
import dev.agentfactory.jobs.pii.PiiScanner;
import dev.agentfactory.jobs.pii.PiiSpan;
import dev.agentfactory.jobs.pii.ScrubPolicy;
import dev.agentfactory.jobs.pii.ScrubbedSpan;
import dev.agentfactory.jobs.pii.Scrubber;
import java.util.function.Supplier;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * The safety flags of the live evaluation, from the event <em>before</em> scrubbing (afterwards
 * there is nothing left to find): PII spans in assistant messages (the model said it), and
 * credentials ({@link EntityType#API_KEY}, {@link EntityType#SECRET}) in assistant messages or tool
 * outputs (a secret leak; a JSON output is read value by value, as the scrubber reads it, so a
 * value under a key such as {@code password} counts). Uses the scrubber's own scanner, so what is
 * flagged is what the scrubber removes. Emits one {@link EvalSample#ofSafety} per event, none for
 * an amending event (its turn's own event was scanned); the events go on unchanged elsewhere.
 */
public final class SafetyScanFunction extends RichFlatMapFunction<Interaction, EvalSample> {
  private static final long serialVersionUID = 1L;

  private final SerializableScanner scannerFactory;
  private transient PiiScanner scanner;
  private transient Scrubber outputs;

  public SafetyScanFunction() {
    this(PiiScanner::create);
  }

  SafetyScanFunction(SerializableScanner scannerFactory) {
    this.scannerFactory = scannerFactory;
  }

  @Override
  public void open(OpenContext openContext) {
    scanner = scannerFactory.get();
    outputs = new Scrubber(scanner, ScrubPolicy.defaults(), null);
  }

  @Override
  public void flatMap(Interaction event, Collector<EvalSample> out) {
    if (event.isAmendment()) {
      // The turn's own event was scanned already: counting it again would double it, and an empty
      // sample would open windows of zero turns (see TurnSampleFunction).
      return;
    }
    int pii = 0;
    int secrets = 0;
    for (Message m : event.messages()) {
      if (m.role() == Role.ASSISTANT) {
        for (PiiSpan span : scanner.scan(m.content())) {
          if (isSecret(span.type())) {
            secrets++;
          } else {
            pii++;
          }
        }
      }
    }
    for (ToolCall c : event.toolCalls()) {
      if (c.output() != null) {
        // as the scrubber reads it: JSON value by value, so that a key name marks a secret
        for (ScrubbedSpan span : outputs.scrubJson(c.output(), event.sessionId()).spans()) {
          if (isSecret(span.type())) {
            secrets++;
          }
        }
      }
    }
    out.collect(EvalSample.ofSafety(event, pii, secrets));
  }

  private static boolean isSecret(EntityType type) {
    return type == EntityType.API_KEY || type == EntityType.SECRET;
  }

  /** A scanner factory Flink can ship with the job graph. */
  interface SerializableScanner extends Supplier<PiiScanner>, java.io.Serializable {}
}
