package dev.agentfactory.jobs.label;

import dev.agentfactory.connectors.dataset.Label;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Role;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.connectors.event.TurnOutcome;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Labels an interaction by rules: pure functions of the event, no I/O. Every label carries {@link
 * #VERSION} as its rubric version, so a dataset says which rules produced it. The labels and their
 * values are listed in {@code docs/labeling.md}.
 *
 * <pre>{@code
 * List<Label> labels = RuleLabeler.label(event);
 * }</pre>
 */
public final class RuleLabeler {

  /** The version of these rules; bump it when a rule changes what it returns. */
  public static final String VERSION = "rules-v2";

  public static final String TOOL_ERROR = "tool_error";
  public static final String TASK_SUCCESS = "task_success";
  public static final String USER_FEEDBACK = "user_feedback";
  public static final String REFUSAL = "refusal";
  public static final String LATENCY_BUCKET = "latency_bucket";

  // Refusals as chat models phrase them; matched at the start of an assistant message or sentence.
  private static final Pattern REFUSAL_PATTERN =
      Pattern.compile(
          "(?:^|[.!?]\\s+)(?:i'?m sorry,? but |sorry,? but |unfortunately,? )?"
              + "(?:i (?:can(?:no|')t|cannot|am unable to|'m unable to|won'?t|am not able to)"
              + " (?:help|assist|do|provide|comply|fulfil|fulfill|complete|share)"
              + "|as an ai(?: language model)?,? i (?:can(?:no|')t|cannot))");

  private static final Pattern NEGATIVE_FEEDBACK =
      Pattern.compile(
          "\\b(?:that(?:'s| is) (?:wrong|incorrect|not (?:right|what i (?:asked|wanted)))"
              + "|(?:it|this|that) (?:doesn'?t|does not|didn'?t|did not) work"
              + "|still (?:broken|failing|fails|not working)|wrong answer|not helpful|useless)\\b");

  private static final Pattern POSITIVE_FEEDBACK =
      Pattern.compile(
          "\\b(?:thanks?|thank you|perfect|great,? (?:it|that) works|(?:it|that|this) works"
              + "|that(?:'s| is) (?:right|correct)|exactly what i (?:needed|wanted)|works now)\\b");

  private RuleLabeler() {}

  /** All rule labels of {@code event}, in a fixed order. */
  public static List<Label> label(Interaction event) {
    boolean refusal = refusal(event);
    return List.of(
        rule(TOOL_ERROR, Boolean.toString(toolError(event))),
        rule(TASK_SUCCESS, taskSuccess(event, refusal)),
        rule(USER_FEEDBACK, userFeedback(event)),
        rule(REFUSAL, Boolean.toString(refusal)),
        rule(LATENCY_BUCKET, latencyBucket(event.latencyMs())));
  }

  /** True if any tool call did not end {@code ok} or exited non-zero. */
  public static boolean toolError(Interaction event) {
    for (ToolCall call : event.toolCalls()) {
      if (failed(call)) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code success}, {@code failure} or {@code unknown}: a turn fails when it was cut short by a
   * limit, a model error or tools that could not be listed, when the assistant refused or when its
   * last tool call failed; it succeeds when it ended with an answer from the assistant or with a
   * successful tool call; otherwise (e.g. only a user message, or a turn cancelled because its
   * session ended) nobody can tell.
   */
  public static String taskSuccess(Interaction event, boolean refusal) {
    if (event.outcome() == TurnOutcome.CANCELLED) {
      return "unknown";
    }
    if (!event.isCompleted()) {
      return "failure";
    }
    List<ToolCall> calls = event.toolCalls();
    if (refusal || (!calls.isEmpty() && failed(calls.get(calls.size() - 1)))) {
      return "failure";
    }
    if (lastAssistantAnswer(event) || !calls.isEmpty()) {
      return "success";
    }
    return "unknown";
  }

  /**
   * {@code positive}, {@code negative} or {@code none}: what the user said about the agent's work
   * in this turn (schema version 1 has no explicit rating field, so this reads the user's words: a
   * turn's first user message usually reacts to the previous turn).
   */
  public static String userFeedback(Interaction event) {
    boolean positive = false;
    for (Message m : event.messages()) {
      if (m.role() != Role.USER) {
        continue;
      }
      String text = m.content().toLowerCase(Locale.ROOT);
      if (NEGATIVE_FEEDBACK.matcher(text).find()) {
        return "negative";
      }
      positive |= POSITIVE_FEEDBACK.matcher(text).find();
    }
    return positive ? "positive" : "none";
  }

  /** True if an assistant message refuses the request. */
  public static boolean refusal(Interaction event) {
    for (Message m : event.messages()) {
      if (m.role() == Role.ASSISTANT
          && REFUSAL_PATTERN
              .matcher(m.content().toLowerCase(Locale.ROOT).replace('\u2019', '\''))
              .find()) {
        return true;
      }
    }
    return false;
  }

  /** {@code lt_1s}, {@code 1s_5s}, {@code 5s_30s} or {@code ge_30s}. */
  public static String latencyBucket(long latencyMs) {
    if (latencyMs < 1_000) {
      return "lt_1s";
    }
    if (latencyMs < 5_000) {
      return "1s_5s";
    }
    if (latencyMs < 30_000) {
      return "5s_30s";
    }
    return "ge_30s";
  }

  private static boolean failed(ToolCall call) {
    return call.status() != ToolCallStatus.OK || (call.exitCode() != null && call.exitCode() != 0);
  }

  private static boolean lastAssistantAnswer(Interaction event) {
    List<Message> messages = event.messages();
    for (int i = messages.size() - 1; i >= 0; i--) {
      Message m = messages.get(i);
      if (m.role() == Role.ASSISTANT) {
        return !m.content().isBlank();
      }
      if (m.role() == Role.USER) {
        return false;
      }
    }
    return false;
  }

  private static Label rule(String name, String value) {
    return new Label(name, value, Label.Source.RULE, null, VERSION, false);
  }
}
