package dev.agentfactory.connectors.dataset;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * The {@code sft} dataset: its schema and the mapping of {@link SftRow} to it.
 *
 * <pre>
 * example_id     string
 * session_id     string
 * tenant         string
 * agent_name     string
 * created_at     int64 timestamp(millis, UTC)
 * schema_version int32
 * scrub_policy   string
 * messages       list&lt;struct&lt;role string, content string, tool_call_id string (nullable)&gt;&gt;
 * labels         list&lt;struct&lt;name string, value string, source string, model string (nullable),
 *                            rubric_version string (nullable), degraded boolean&gt;&gt;
 * scores         list&lt;struct&lt;name string, value double&gt;&gt;
 * </pre>
 */
public final class SftDataset {

  /** The dataset name, also its directory under the dataset root. */
  public static final String NAME = "sft";

  /** The Avro schema the Parquet schema is derived from. */
  public static final Schema AVRO_SCHEMA =
      new Schema.Parser()
          .parse(
              """
              {"type": "record", "name": "SftRow", "namespace": "dev.agentfactory.datasets",
               "fields": [
                 {"name": "example_id", "type": "string"},
                 {"name": "session_id", "type": "string"},
                 {"name": "tenant", "type": "string"},
                 {"name": "agent_name", "type": "string"},
                 {"name": "created_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                 {"name": "schema_version", "type": "int"},
                 {"name": "scrub_policy", "type": "string"},
                 {"name": "messages", "type": {"type": "array", "items":
                   {"type": "record", "name": "Message", "fields": [
                     {"name": "role", "type": "string"},
                     {"name": "content", "type": "string"},
                     {"name": "tool_call_id", "type": ["null", "string"], "default": null}
                   ]}}},
                 {"name": "labels", "type": {"type": "array", "items":
                   {"type": "record", "name": "Label", "fields": [
                     {"name": "name", "type": "string"},
                     {"name": "value", "type": "string"},
                     {"name": "source", "type": "string"},
                     {"name": "model", "type": ["null", "string"], "default": null},
                     {"name": "rubric_version", "type": ["null", "string"], "default": null},
                     {"name": "degraded", "type": "boolean"}
                   ]}}, "default": []},
                 {"name": "scores", "type": {"type": "array", "items":
                   {"type": "record", "name": "Score", "fields": [
                     {"name": "name", "type": "string"},
                     {"name": "value", "type": "double"}
                   ]}}, "default": []}
               ]}
              """);

  private static final Schema MESSAGE_SCHEMA =
      AVRO_SCHEMA.getField("messages").schema().getElementType();

  private static final Schema LABEL_SCHEMA =
      AVRO_SCHEMA.getField("labels").schema().getElementType();

  private static final Schema SCORE_SCHEMA =
      AVRO_SCHEMA.getField("scores").schema().getElementType();

  private SftDataset() {}

  /** The Avro record for a row. */
  public static GenericRecord toRecord(SftRow row) {
    GenericData.Record record = new GenericData.Record(AVRO_SCHEMA);
    record.put("example_id", row.exampleId());
    record.put("session_id", row.sessionId());
    record.put("tenant", row.tenant());
    record.put("agent_name", row.agentName());
    record.put("created_at", row.createdAt().toEpochMilli());
    record.put("schema_version", row.schemaVersion());
    record.put("scrub_policy", row.scrubPolicy());
    List<GenericRecord> messages = new ArrayList<>(row.messages().size());
    for (SftMessage m : row.messages()) {
      GenericData.Record message = new GenericData.Record(MESSAGE_SCHEMA);
      message.put("role", m.role());
      message.put("content", m.content());
      message.put("tool_call_id", m.toolCallId());
      messages.add(message);
    }
    record.put("messages", messages);
    List<GenericRecord> labels = new ArrayList<>(row.labels().size());
    for (Label l : row.labels()) {
      GenericData.Record label = new GenericData.Record(LABEL_SCHEMA);
      label.put("name", l.name());
      label.put("value", l.value());
      label.put("source", l.source().json());
      label.put("model", l.model());
      label.put("rubric_version", l.rubricVersion());
      label.put("degraded", l.degraded());
      labels.add(label);
    }
    record.put("labels", labels);
    List<GenericRecord> scores = new ArrayList<>(row.scores().size());
    for (Score s : row.scores()) {
      GenericData.Record score = new GenericData.Record(SCORE_SCHEMA);
      score.put("name", s.name());
      score.put("value", s.value());
      scores.add(score);
    }
    record.put("scores", scores);
    return record;
  }
}
