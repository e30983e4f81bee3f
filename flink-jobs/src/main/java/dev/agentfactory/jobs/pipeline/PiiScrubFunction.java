package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.jobs.pii.PiiScanner;
import dev.agentfactory.jobs.pii.ScrubPolicy;
import dev.agentfactory.jobs.pii.Scrubber;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * Scrubs PII and secrets from every message, tool-call argument and tool output of an interaction
 * with the {@code dev.agentfactory.jobs.pii} library, under a {@link ScrubPolicy} whose version the
 * {@code sft} rows record. Pseudonyms are scoped to the session, so one person keeps one pseudonym
 * across the turns of a conversation.
 */
public final class PiiScrubFunction extends RichMapFunction<Interaction, Interaction> {
  private static final long serialVersionUID = 1L;

  private final ScrubPolicy policy;
  private final byte[] key;
  private transient Scrubber scrubber;

  /**
   * @param policy what to do per entity type
   * @param key the HMAC key for hashing and pseudonymising; may be empty if the policy does neither
   */
  public PiiScrubFunction(ScrubPolicy policy, byte[] key) {
    this.policy = policy;
    this.key = key.clone();
    // fail at job construction, not in the task manager
    new Scrubber(PiiScanner.patternsOnly(), policy, this.key);
  }

  /** Masks every type under {@link ScrubPolicy#defaults()}. */
  public static PiiScrubFunction masking() {
    return new PiiScrubFunction(ScrubPolicy.defaults(), new byte[0]);
  }

  public ScrubPolicy policy() {
    return policy;
  }

  @Override
  public void open(OpenContext openContext) {
    scrubber = new Scrubber(PiiScanner.create(), policy, key);
  }

  @Override
  public Interaction map(Interaction event) {
    String session = event.sessionId();
    Interaction scrubbed = event.withRewrittenText(t -> scrubber.scrub(t, session).text());
    List<ToolCall> calls = scrubbed.toolCalls();
    if (calls.isEmpty()) {
      return scrubbed;
    }
    List<ToolCall> newCalls = new ArrayList<>(calls.size());
    boolean changed = false;
    for (ToolCall c : calls) {
      String args = scrubber.scrubJson(c.arguments(), session).text();
      if (args.equals(c.arguments())) {
        newCalls.add(c);
      } else {
        changed = true;
        newCalls.add(
            new ToolCall(
                c.id(), c.name(), args, c.output(), c.exitCode(), c.status(), c.durationMs()));
      }
    }
    if (!changed) {
      return scrubbed;
    }
    return new Interaction(
        scrubbed.schemaVersion(),
        scrubbed.eventId(),
        scrubbed.sessionId(),
        scrubbed.turn(),
        scrubbed.tenant(),
        scrubbed.agentName(),
        scrubbed.agentVersion(),
        scrubbed.operationName(),
        scrubbed.createdAt(),
        scrubbed.messages(),
        newCalls,
        scrubbed.model(),
        scrubbed.usage(),
        scrubbed.latencyMs());
  }
}
