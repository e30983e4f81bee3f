package dev.agentfactory.connectors.event;

/**
 * A span of personal or secret data the pipeline's scrubber found and what it did with it — never
 * the value. The pipeline sets these ({@code pii_spans}); producers leave them out.
 *
 * @param entityType the entity type, e.g. {@code EMAIL_ADDRESS}
 * @param start first character in the original text (inclusive)
 * @param end last character in the original text (exclusive)
 * @param action what replaced it: {@code MASK}, {@code REDACT}, {@code HASH}, {@code PSEUDONYMISE}
 *     or {@code KEEP}
 * @param field the event field the text was in, as a path: {@code messages[1].content}, {@code
 *     tool_calls[0].output}, {@code tool_calls[0].arguments/command} (a JSON pointer into the
 *     arguments), {@code feedback.rejected[0].content}, {@code reference.answer}, {@code
 *     reference.rubric}
 * @param messageIndex the index into the event's {@code messages} for {@code messages[i]} fields,
 *     null for other fields
 */
public record PiiFinding(
    String entityType, int start, int end, String action, String field, Integer messageIndex) {

  public PiiFinding {
    Checks.notBlank("pii_spans.entity_type", entityType);
    Checks.notNegative("pii_spans.start", start);
    if (end < start) {
      throw new InvalidEventException(
          "pii_spans.end", "must be >= start (" + start + ") but was " + end);
    }
    Checks.notBlank("pii_spans.action", action);
    Checks.notBlank("pii_spans.field", field);
    if (messageIndex != null) {
      Checks.notNegative("pii_spans.message_index", messageIndex);
    }
  }
}
