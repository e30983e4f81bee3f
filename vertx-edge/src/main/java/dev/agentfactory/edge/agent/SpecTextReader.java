package dev.agentfactory.edge.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.agentfactory.edge.protocol.LoneSurrogates;
import dev.agentfactory.edge.protocol.RepeatedFields;
import java.util.Iterator;
import java.util.Map;

/**
 * The text of an agent spec as a tree, for {@link AgentSpecCodec} to check field by field. A
 * leading byte order mark is ignored. A new spec may not name a field twice or hold a string with
 * an unpaired UTF-16 surrogate; a stored version, written before those checks, is read leniently.
 * Every error is an {@code invalid_spec} naming its field in dotted form.
 */
final class SpecTextReader {

  private static final char BOM = '\uFEFF';

  /** Reads stored versions: a repeated field's last value wins. */
  private final ObjectMapper json = new ObjectMapper();

  private final ObjectMapper strictJson = RepeatedFields.strictMapper();
  private final ObjectMapper yaml =
      YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  /** A new spec's JSON: no field twice, no unpaired surrogate. */
  JsonNode newJson(String text) {
    return wellFormed(read(strictJson, withoutBom(text), "JSON"), "");
  }

  /** A new spec's YAML: no field twice, no unpaired surrogate. */
  JsonNode newYaml(String text) {
    return wellFormed(read(yaml, withoutBom(text), "YAML"), "");
  }

  /** A stored version's JSON: a repeated field's last value wins, unpaired surrogates pass. */
  JsonNode storedJson(String text) {
    return read(json, withoutBom(text), "JSON");
  }

  private static JsonNode read(ObjectMapper mapper, String text, String format) {
    try {
      JsonNode root = mapper.readTree(text);
      if (root == null || !root.isObject()) {
        throw AgentException.invalidSpec("$", "a spec must be a " + format + " object");
      }
      return root;
    } catch (JsonProcessingException e) {
      String repeated = RepeatedFields.fieldOf(e);
      if (repeated != null) {
        throw AgentException.invalidSpec(repeated, "is given more than once");
      }
      throw AgentException.invalidSpec("$", "not valid " + format + ": " + e.getOriginalMessage());
    }
  }

  private static String withoutBom(String text) {
    return !text.isEmpty() && text.charAt(0) == BOM ? text.substring(1) : text;
  }

  /** The dotted field of a parser position: {@code mcp_servers[1].env.HOME}. */
  /**
   * {@code node}, after checking that no string in it, field names included, has an unpaired UTF-16
   * surrogate ({@code "\ud800"} is valid JSON but no text: UTF-8 cannot encode it, and stores and
   * model servers replace or refuse it).
   */
  private static JsonNode wellFormed(JsonNode node, String field) {
    if (node.isTextual()) {
      requireNoLoneSurrogate(field, "", node.textValue());
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        wellFormed(node.get(i), field + "[" + i + "]");
      }
    } else if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        // a bad name is reported on its object: echoed, it could not be written as UTF-8 either
        requireNoLoneSurrogate(field.isEmpty() ? "$" : field, "a field name ", entry.getKey());
        wellFormed(
            entry.getValue(), field.isEmpty() ? entry.getKey() : field + "." + entry.getKey());
      }
    }
    return node;
  }

  private static void requireNoLoneSurrogate(String field, String what, String text) {
    int i = LoneSurrogates.indexIn(text);
    if (i >= 0) {
      // the position, never the text: it may be anything, a pasted secret included
      throw AgentException.invalidSpec(
          field,
          String.format(
              "%shas an unpaired UTF-16 surrogate \\u%04x at character %d",
              what, (int) text.charAt(i), i));
    }
  }
}
