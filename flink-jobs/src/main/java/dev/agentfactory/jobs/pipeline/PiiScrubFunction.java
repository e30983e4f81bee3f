package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.PiiFinding;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.jobs.pii.PiiModel;
import dev.agentfactory.jobs.pii.PiiScanner;
import dev.agentfactory.jobs.pii.ScrubPolicy;
import dev.agentfactory.jobs.pii.ScrubResult;
import dev.agentfactory.jobs.pii.ScrubbedSpan;
import dev.agentfactory.jobs.pii.Scrubber;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * Scrubs PII and secrets from every message, tool-call argument and tool output of an interaction,
 * the rejected alternative of its feedback and its reference answer, with the {@code
 * dev.agentfactory.jobs.pii} library, under a {@link ScrubPolicy} whose version the dataset rows
 * record, and records what it found as the event's {@code pii_spans} (type, offsets, action and
 * field; never the value). Pseudonyms are scoped to the session, so one person keeps one pseudonym
 * across the turns of a conversation. Tool outputs (command output, logs, code, JSON) are read with
 * the tagger trained for them ({@link PiiModel#TOOL_OUTPUT}), which takes far fewer of their words
 * for names; everything else with the shipped one. Both scrubbers share the policy and the key, so
 * a value gets the same pseudonym wherever it stands.
 */
public final class PiiScrubFunction extends RichMapFunction<Interaction, Interaction> {
  private static final long serialVersionUID = 1L;

  private final ScrubPolicy policy;
  private final byte[] key;
  private transient Scrubber scrubber;
  private transient Scrubber toolOutputs;

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
    toolOutputs = new Scrubber(PiiScanner.create(PiiModel.TOOL_OUTPUT), policy, key);
  }

  @Override
  public Interaction map(Interaction event) {
    String session = event.sessionId();
    List<PiiFinding> findings = new ArrayList<>();
    Interaction scrubbed =
        event.withRewrittenText(
            (field, text) -> {
              // a tool's output is often JSON (kubectl, aws, gh): scanned value by value, so that
              // key names mark secrets; output that is not JSON is scrubbed as text all the same
              ScrubResult result =
                  isToolOutput(field)
                      ? toolOutputs.scrubJson(text, session)
                      : scrubber.scrub(text, session);
              record(result, field, findings);
              return notBlankIfRequired(field, text, result.text());
            });
    List<ToolCall> calls = scrubbed.toolCalls();
    List<ToolCall> newCalls = new ArrayList<>(calls.size());
    boolean changed = false;
    for (int i = 0; i < calls.size(); i++) {
      ToolCall c = calls.get(i);
      ScrubResult result = scrubber.scrubJson(c.arguments(), session);
      record(result, "tool_calls[" + i + "].arguments", findings);
      if (result.text().equals(c.arguments())) {
        newCalls.add(c);
      } else {
        changed = true;
        newCalls.add(c.withArguments(result.text()));
      }
    }
    // The findings replace whatever the producer sent: only the scrubber's are trustworthy.
    return (changed ? scrubbed.withToolCalls(newCalls) : scrubbed).withPiiSpans(findings);
  }

  /**
   * {@code REDACT} removes a span: a reference answer or feedback comment that was nothing but PII
   * would become blank, which those fields must not be. The event's constructor would throw, fail
   * the job and replay the event forever; a placeholder keeps it valid and says what happened.
   */
  private static String notBlankIfRequired(String field, String original, String scrubbed) {
    if (scrubbed.isBlank() && !original.isBlank() && NOT_BLANK_FIELDS.contains(field)) {
      return REDACTED;
    }
    return scrubbed;
  }

  /** {@code tool_calls[3].output}, as {@link Interaction#withRewrittenText} names it. */
  private static boolean isToolOutput(String field) {
    return field.startsWith("tool_calls[") && field.endsWith("].output");
  }

  /** The text fields {@link Interaction#withRewrittenText} rewrites that must not be blank. */
  private static final Set<String> NOT_BLANK_FIELDS =
      Set.of("reference.answer", "feedback.comment");

  /** What stands for a required text that redaction emptied. */
  static final String REDACTED = "<REDACTED>";

  /** Records the spans of one field's text: type, offsets and action, never the value. */
  private static void record(ScrubResult result, String field, List<PiiFinding> out) {
    Integer messageIndex = messageIndex(field);
    for (ScrubbedSpan span : result.spans()) {
      out.add(
          new PiiFinding(
              span.type().name(),
              span.start(),
              span.end(),
              span.action().name(),
              span.field().isEmpty() ? field : field + span.field(),
              messageIndex));
    }
  }

  /** {@code 3} for {@code messages[3].content}, null for other fields. */
  private static Integer messageIndex(String field) {
    if (!field.startsWith("messages[")) {
      return null;
    }
    return Integer.valueOf(field.substring("messages[".length(), field.indexOf(']')));
  }
}
