package dev.agentfactory.connectors.dataset;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Role;
import dev.agentfactory.connectors.event.ToolCall;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One row of the {@code sft} dataset: a conversation in the Hugging Face TRL {@code messages}
 * format plus lineage columns, and the labels and scores the pipeline gave it. The Parquet schema
 * is {@link SftDataset#AVRO_SCHEMA}.
 */
public record SftRow(
    String exampleId,
    String sessionId,
    String tenant,
    String agentName,
    Instant createdAt,
    int schemaVersion,
    String scrubPolicy,
    List<SftMessage> messages,
    List<Label> labels,
    List<Score> scores) {

  public SftRow {
    Objects.requireNonNull(exampleId, "example_id");
    Objects.requireNonNull(sessionId, "session_id");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(agentName, "agent_name");
    Objects.requireNonNull(createdAt, "created_at");
    Objects.requireNonNull(scrubPolicy, "scrub_policy");
    messages = List.copyOf(messages);
    labels = List.copyOf(labels);
    scores = List.copyOf(scores);
  }

  /** A row without labels or scores. */
  public SftRow(
      String exampleId,
      String sessionId,
      String tenant,
      String agentName,
      Instant createdAt,
      int schemaVersion,
      String scrubPolicy,
      List<SftMessage> messages) {
    this(
        exampleId,
        sessionId,
        tenant,
        agentName,
        createdAt,
        schemaVersion,
        scrubPolicy,
        messages,
        List.of(),
        List.of());
  }

  /** This row with {@code labels} and {@code scores} (replacing any it had). */
  public SftRow withLabels(List<Label> labels, List<Score> scores) {
    return new SftRow(
        exampleId,
        sessionId,
        tenant,
        agentName,
        createdAt,
        schemaVersion,
        scrubPolicy,
        messages,
        labels,
        scores);
  }

  /**
   * The row for an (already scrubbed) interaction: its messages in order, then one {@code tool}
   * message per tool call carrying the call's output and id. The example id is the event id, so a
   * replayed event yields the same example id (dedup downstream).
   */
  public static SftRow from(Interaction event, String scrubPolicy) {
    List<SftMessage> messages = new ArrayList<>();
    for (Message m : event.messages()) {
      messages.add(new SftMessage(m.role().json(), m.content(), null));
    }
    for (ToolCall call : event.toolCalls()) {
      String output = call.output() == null ? "" : call.output();
      messages.add(new SftMessage(Role.TOOL.json(), output, call.id()));
    }
    return new SftRow(
        event.eventId().toString(),
        event.sessionId(),
        event.tenant(),
        event.agentName(),
        event.createdAt(),
        event.schemaVersion(),
        scrubPolicy,
        messages);
  }
}
