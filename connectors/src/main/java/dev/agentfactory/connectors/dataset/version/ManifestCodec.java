package dev.agentfactory.connectors.dataset.version;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON form of a {@link DatasetVersion}. Written by hand from a tree rather than by reflection,
 * so the key order and the bytes are fixed: the same version always encodes to the same bytes, and
 * a manifest is parsed and checked once, here.
 */
public final class ManifestCodec {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  // Fixed "\n" line ends whatever the platform, and arrays one element per line.
  private static final ObjectWriter WRITER =
      MAPPER.writer(
          new DefaultPrettyPrinter()
              .withObjectIndenter(new DefaultIndenter("  ", "\n"))
              .withArrayIndenter(new DefaultIndenter("  ", "\n")));

  private ManifestCodec() {}

  /** The manifest bytes (UTF-8 JSON ending in a newline). */
  public static byte[] encode(DatasetVersion v) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format", v.format());
    root.put("dataset", v.dataset());
    root.put("version", v.version());
    root.put("created_at", v.createdAt().toString());
    root.put("file_count", v.files().size());
    root.put("total_rows", v.totalRows());
    root.put("total_bytes", v.totalBytes());
    root.put("excluded_rows", v.excludedRows());
    root.put("withdrawn_examples", v.withdrawnExamples());
    ObjectNode schema = root.putObject("schema");
    schema.put("parquet", v.schema().parquet());
    schema.put("avro", v.schema().avro());
    ObjectNode lineage = root.putObject("lineage");
    Lineage l = v.lineage();
    lineage.put("job_id", l.jobId());
    lineage.put("checkpoint_id", l.checkpointId());
    lineage.put("savepoint_path", l.savepointPath());
    ArrayNode policies = lineage.putArray("scrub_policies");
    l.scrubPolicies().forEach(policies::add);
    lineage.put("judge_version", l.judgeVersion());
    ArrayNode files = root.putArray("files");
    for (DatasetFile f : v.files()) {
      ObjectNode file = files.addObject();
      file.put("path", f.path());
      file.put("size_bytes", f.sizeBytes());
      file.put("rows", f.rows());
      file.put("sha256", f.sha256());
      file.put("source", f.source());
      file.put("excluded_rows", f.excludedRows());
    }
    try {
      return (WRITER.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode manifest of " + v.dataset(), e);
    }
  }

  /**
   * Parses manifest bytes.
   *
   * @throws IllegalArgumentException if the JSON is malformed, misses a field or has an unknown
   *     format
   */
  public static DatasetVersion decode(byte[] json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("manifest is not JSON: " + e.getMessage(), e);
    }
    int format = required(root, "format").asInt();
    if (format != DatasetVersion.FORMAT) {
      throw new IllegalArgumentException("unsupported manifest format " + format);
    }
    JsonNode schema = required(root, "schema");
    JsonNode lineage = required(root, "lineage");
    List<String> policies = new ArrayList<>();
    required(lineage, "scrub_policies").forEach(p -> policies.add(p.asText()));
    List<DatasetFile> files = new ArrayList<>();
    for (JsonNode f : required(root, "files")) {
      files.add(
          new DatasetFile(
              required(f, "path").asText(),
              required(f, "size_bytes").asLong(),
              required(f, "rows").asLong(),
              required(f, "sha256").asText(),
              text(f, "source"),
              f.path("excluded_rows").asLong(0)));
    }
    try {
      return new DatasetVersion(
          format,
          required(root, "dataset").asText(),
          required(root, "version").asInt(),
          Instant.parse(required(root, "created_at").asText()),
          new DatasetSchema(required(schema, "parquet").asText(), text(schema, "avro")),
          new Lineage(
              text(lineage, "job_id"),
              lineage.path("checkpoint_id").isNumber()
                  ? lineage.get("checkpoint_id").asLong()
                  : null,
              text(lineage, "savepoint_path"),
              policies,
              text(lineage, "judge_version")),
          files,
          root.path("withdrawn_examples").asLong(0));
    } catch (DateTimeParseException | NullPointerException | IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid manifest: " + e.getMessage(), e);
    }
  }

  private static JsonNode required(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new IllegalArgumentException("manifest misses '" + field + "'");
    }
    return value;
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }
}
