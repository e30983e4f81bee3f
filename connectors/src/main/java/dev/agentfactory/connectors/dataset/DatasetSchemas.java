package dev.agentfactory.connectors.dataset;

import dev.agentfactory.connectors.event.PiiFinding;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaBuilder.FieldAssembler;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * The Avro schemas of the dataset kinds (Parquet schemas are derived from them, see {@link
 * ParquetFormats}) and the mapping of rows to records. Every kind has its own columns first, then
 * the provenance columns:
 *
 * <pre>
 * example_id           string
 * amends_event_id      string (nullable)
 * trace_id             string (nullable)
 * session_id           string
 * tenant               string
 * agent                string
 * agent_version        string
 * model                string (nullable)
 * created_at           int64 timestamp(millis, UTC)
 * schema_version       int32
 * scrub_policy_version string
 * labels    list&lt;struct&lt;name, value, source, model?, rubric_version?, degraded bool&gt;&gt;
 * scores    list&lt;struct&lt;name, value double, source, model?, rubric_version?, degraded bool&gt;&gt;
 * pii_spans list&lt;struct&lt;entity_type, start int32, end int32, action, field, message_index int32?&gt;&gt;
 * </pre>
 *
 * Messages ({@code messages}, {@code prompt}, {@code chosen}, ...) are {@code list<struct<role,
 * content, tool_call_id?, name?, tool_calls?: list<struct<id, type, function: struct<name,
 * arguments>>>>>} (OpenAI / TRL tool calling: {@code tool_calls} on assistant messages, {@code
 * tool_call_id} and {@code name} on tool messages).
 */
public final class DatasetSchemas {

  static final String NAMESPACE = "dev.agentfactory.datasets";

  static final Schema FUNCTION =
      SchemaBuilder.record("Function")
          .namespace(NAMESPACE)
          .fields()
          .requiredString("name")
          .requiredString("arguments")
          .endRecord();

  static final Schema TOOL_CALL =
      SchemaBuilder.record("ToolCall")
          .namespace(NAMESPACE)
          .fields()
          .requiredString("id")
          .requiredString("type")
          .name("function")
          .type(FUNCTION)
          .noDefault()
          .endRecord();

  // name and tool_calls came after the first files: added last and nullable, so a reader that
  // selects role, content and tool_call_id reads files of either schema (a version holds one).
  static final Schema MESSAGE =
      SchemaBuilder.record("Message")
          .namespace(NAMESPACE)
          .fields()
          .requiredString("role")
          .requiredString("content")
          .optionalString("tool_call_id")
          .optionalString("name")
          .name("tool_calls")
          .type()
          .optional()
          .array()
          .items(TOOL_CALL)
          .endRecord();

  static final Schema LABEL =
      SchemaBuilder.record("Label")
          .namespace(NAMESPACE)
          .fields()
          .requiredString("name")
          .requiredString("value")
          .requiredString("source")
          .optionalString("model")
          .optionalString("rubric_version")
          .requiredBoolean("degraded")
          .endRecord();

  static final Schema SCORE =
      SchemaBuilder.record("Score")
          .namespace(NAMESPACE)
          .fields()
          .requiredString("name")
          .requiredDouble("value")
          .requiredString("source")
          .optionalString("model")
          .optionalString("rubric_version")
          .requiredBoolean("degraded")
          .endRecord();

  static final Schema PII_SPAN =
      SchemaBuilder.record("PiiSpan")
          .namespace(NAMESPACE)
          .fields()
          .requiredString("entity_type")
          .requiredInt("start")
          .requiredInt("end")
          .requiredString("action")
          .requiredString("field")
          .optionalInt("message_index")
          .endRecord();

  private static final Schema MESSAGES = Schema.createArray(MESSAGE);

  private static final Map<DatasetKind, Schema> SCHEMAS = new EnumMap<>(DatasetKind.class);

  static {
    SCHEMAS.put(
        DatasetKind.SFT,
        withProvenance(start("SftRow").name("messages").type(MESSAGES).noDefault()));
    SCHEMAS.put(
        DatasetKind.PREFERENCE,
        withProvenance(
            start("PreferenceRow")
                .name("prompt")
                .type(MESSAGES)
                .noDefault()
                .name("chosen")
                .type(MESSAGES)
                .noDefault()
                .name("rejected")
                .type(MESSAGES)
                .noDefault()));
    SCHEMAS.put(
        DatasetKind.UNPAIRED,
        withProvenance(
            start("UnpairedRow")
                .name("prompt")
                .type(MESSAGES)
                .noDefault()
                .name("completion")
                .type(MESSAGES)
                .noDefault()
                .requiredBoolean("label")));
    SCHEMAS.put(
        DatasetKind.RFT,
        withProvenance(
            start("RftRow")
                .name("prompt")
                .type(MESSAGES)
                .noDefault()
                .requiredString("ground_truth")
                .optionalString("verifier")));
    SCHEMAS.put(
        DatasetKind.EVAL,
        withProvenance(
            start("EvalRow")
                .name("input")
                .type(MESSAGES)
                .noDefault()
                .requiredString("expected")
                .optionalString("rubric")));
  }

  private DatasetSchemas() {}

  /** The Avro schema of a kind. */
  public static Schema of(DatasetKind kind) {
    return SCHEMAS.get(kind);
  }

  private static FieldAssembler<Schema> start(String name) {
    return SchemaBuilder.record(name).namespace(NAMESPACE).fields();
  }

  private static Schema withProvenance(FieldAssembler<Schema> fields) {
    Schema timestamp = LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG));
    return fields
        .requiredString("example_id")
        .optionalString("amends_event_id")
        .optionalString("trace_id")
        .requiredString("session_id")
        .requiredString("tenant")
        .requiredString("agent")
        .requiredString("agent_version")
        .optionalString("model")
        .name("created_at")
        .type(timestamp)
        .noDefault()
        .requiredInt("schema_version")
        .requiredString("scrub_policy_version")
        .name("labels")
        .type(Schema.createArray(LABEL))
        .noDefault()
        .name("scores")
        .type(Schema.createArray(SCORE))
        .noDefault()
        .name("pii_spans")
        .type(Schema.createArray(PII_SPAN))
        .noDefault()
        .endRecord();
  }

  /** The Avro record of a row, in its kind's schema. */
  public static GenericRecord toRecord(DatasetRow row) {
    GenericData.Record record = new GenericData.Record(of(row.kind()));
    // Java 17: no pattern switch; the interface is sealed, so the chain is complete.
    if (row instanceof SftRow r) {
      record.put("messages", messages(r.messages()));
    } else if (row instanceof PreferenceRow r) {
      record.put("prompt", messages(r.prompt()));
      record.put("chosen", messages(r.chosen()));
      record.put("rejected", messages(r.rejected()));
    } else if (row instanceof UnpairedRow r) {
      record.put("prompt", messages(r.prompt()));
      record.put("completion", messages(r.completion()));
      record.put("label", r.label());
    } else if (row instanceof RftRow r) {
      record.put("prompt", messages(r.prompt()));
      record.put("ground_truth", r.groundTruth());
      record.put("verifier", r.verifier());
    } else if (row instanceof EvalRow r) {
      record.put("input", messages(r.input()));
      record.put("expected", r.expected());
      record.put("rubric", r.rubric());
    }
    putProvenance(record, row.provenance());
    return record;
  }

  private static void putProvenance(GenericData.Record record, Provenance p) {
    record.put("example_id", p.exampleId());
    record.put("amends_event_id", p.amendsEventId());
    record.put("trace_id", p.traceId());
    record.put("session_id", p.sessionId());
    record.put("tenant", p.tenant());
    record.put("agent", p.agent());
    record.put("agent_version", p.agentVersion());
    record.put("model", p.model());
    record.put("created_at", p.createdAt().toEpochMilli());
    record.put("schema_version", p.schemaVersion());
    record.put("scrub_policy_version", p.scrubPolicyVersion());
    List<GenericRecord> labels = new ArrayList<>(p.labels().size());
    for (Label l : p.labels()) {
      GenericData.Record r = new GenericData.Record(LABEL);
      r.put("name", l.name());
      r.put("value", l.value());
      r.put("source", l.source());
      r.put("model", l.model());
      r.put("rubric_version", l.rubricVersion());
      r.put("degraded", l.degraded());
      labels.add(r);
    }
    record.put("labels", labels);
    List<GenericRecord> scores = new ArrayList<>(p.scores().size());
    for (Score s : p.scores()) {
      GenericData.Record r = new GenericData.Record(SCORE);
      r.put("name", s.name());
      r.put("value", s.value());
      r.put("source", s.source());
      r.put("model", s.model());
      r.put("rubric_version", s.rubricVersion());
      r.put("degraded", s.degraded());
      scores.add(r);
    }
    record.put("scores", scores);
    List<GenericRecord> spans = new ArrayList<>(p.piiSpans().size());
    for (PiiFinding f : p.piiSpans()) {
      GenericData.Record r = new GenericData.Record(PII_SPAN);
      r.put("entity_type", f.entityType());
      r.put("start", f.start());
      r.put("end", f.end());
      r.put("action", f.action());
      r.put("field", f.field());
      r.put("message_index", f.messageIndex());
      spans.add(r);
    }
    record.put("pii_spans", spans);
  }

  private static List<GenericRecord> toolCalls(List<SftToolCall> calls) {
    List<GenericRecord> result = new ArrayList<>(calls.size());
    for (SftToolCall c : calls) {
      GenericData.Record function = new GenericData.Record(FUNCTION);
      function.put("name", c.name());
      function.put("arguments", c.arguments());
      GenericData.Record call = new GenericData.Record(TOOL_CALL);
      call.put("id", c.id());
      call.put("type", SftToolCall.TYPE_FUNCTION);
      call.put("function", function);
      result.add(call);
    }
    return result;
  }

  private static List<GenericRecord> messages(List<SftMessage> messages) {
    List<GenericRecord> result = new ArrayList<>(messages.size());
    for (SftMessage m : messages) {
      GenericData.Record message = new GenericData.Record(MESSAGE);
      message.put("role", m.role());
      message.put("content", m.content());
      message.put("tool_call_id", m.toolCallId());
      message.put("name", m.name());
      message.put("tool_calls", m.toolCalls() == null ? null : toolCalls(m.toolCalls()));
      result.add(message);
    }
    return result;
  }
}
