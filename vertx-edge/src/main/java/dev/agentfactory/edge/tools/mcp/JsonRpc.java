package dev.agentfactory.edge.tools.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The MCP messages this client sends and reads, as JSON-RPC 2.0 objects. */
final class JsonRpc {

  static final ObjectMapper JSON = new ObjectMapper();

  /** The revision this client asks for; servers may answer with another supported one. */
  static final String PROTOCOL_VERSION = "2025-06-18";

  static final Set<String> SUPPORTED = Set.of("2025-06-18", "2025-03-26", "2024-11-05");

  private JsonRpc() {}

  static ObjectNode request(long id, String method, JsonNode params) {
    ObjectNode message = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", id);
    message.put("method", method);
    if (params != null) {
      message.set("params", params);
    }
    return message;
  }

  static ObjectNode notification(String method) {
    return JSON.createObjectNode().put("jsonrpc", "2.0").put("method", method);
  }

  static ObjectNode initialize(long id) {
    ObjectNode params = JSON.createObjectNode().put("protocolVersion", PROTOCOL_VERSION);
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "agent-factory-edge").put("version", "1");
    return request(id, "initialize", params);
  }

  static ObjectNode listTools(long id, String cursor) {
    ObjectNode params = JSON.createObjectNode();
    if (cursor != null) {
      params.put("cursor", cursor);
    }
    return request(id, "tools/list", params);
  }

  static ObjectNode callTool(long id, String tool, ObjectNode arguments) {
    ObjectNode params = JSON.createObjectNode().put("name", tool);
    params.set("arguments", arguments == null ? JSON.createObjectNode() : arguments);
    return request(id, "tools/call", params);
  }

  /** The result of a response, or an {@link McpException} for a JSON-RPC error. */
  static JsonNode result(String server, String method, JsonNode response) {
    if (response == null || !response.isObject()) {
      throw new McpException("MCP server " + server + " sent no answer to " + method);
    }
    JsonNode error = response.get("error");
    if (error != null && !error.isNull()) {
      throw new McpException(
          "MCP server "
              + server
              + " answered "
              + method
              + " with error "
              + error.path("code").asText("?")
              + ": "
              + error.path("message").asText(""));
    }
    JsonNode result = response.get("result");
    if (result == null || !result.isObject()) {
      throw new McpException("MCP server " + server + " sent no result object for " + method);
    }
    return result;
  }

  /** Checks an initialize result and returns the protocol version the server chose. */
  static String negotiated(String server, JsonNode initializeResponse) {
    JsonNode result = result(server, "initialize", initializeResponse);
    String version = result.path("protocolVersion").asText("");
    if (!SUPPORTED.contains(version)) {
      throw new McpException(
          "MCP server "
              + server
              + " speaks protocol version '"
              + version
              + "'; this client supports "
              + SUPPORTED.stream().sorted().toList());
    }
    return version;
  }

  /** The tools of one tools/list page; {@code next} receives the cursor of the next page. */
  static List<McpTool> tools(String server, JsonNode result, StringBuilder next) {
    JsonNode tools = result.get("tools");
    if (tools == null || !tools.isArray()) {
      throw new McpException("MCP server " + server + ": tools/list result has no tools array");
    }
    List<McpTool> out = new ArrayList<>();
    for (JsonNode tool : tools) {
      String name = tool.path("name").asText("");
      if (name.isEmpty()) {
        throw new McpException("MCP server " + server + ": a listed tool has no name");
      }
      JsonNode schema = tool.get("inputSchema");
      ObjectNode input =
          schema != null && schema.isObject()
              ? ((ObjectNode) schema).deepCopy()
              : JSON.createObjectNode();
      if (!input.has("type")) {
        input.put("type", "object");
      }
      String description = tool.path("description").asText(tool.path("title").asText(""));
      out.add(new McpTool(name, description, input));
    }
    next.setLength(0);
    JsonNode cursor = result.get("nextCursor");
    if (cursor != null && cursor.isTextual() && !cursor.textValue().isEmpty()) {
      next.append(cursor.textValue());
    }
    return out;
  }

  /** A tools/call result flattened to text; a JSON-RPC error is an error result too. */
  static McpCallResult callResult(String server, String tool, JsonNode response) {
    JsonNode error = response == null ? null : response.get("error");
    if (error != null && !error.isNull()) {
      return new McpCallResult(
          "MCP server "
              + server
              + " refused "
              + tool
              + " (error "
              + error.path("code").asText("?")
              + "): "
              + error.path("message").asText(""),
          true);
    }
    JsonNode result = result(server, "tools/call", response);
    List<String> parts = new ArrayList<>();
    for (JsonNode item : result.path("content")) {
      String type = item.path("type").asText("");
      switch (type) {
        case "text" -> parts.add(item.path("text").asText(""));
        case "image", "audio" ->
            parts.add(
                "["
                    + type
                    + " "
                    + item.path("mimeType").asText("?")
                    + ", "
                    + item.path("data").asText("").length()
                    + " base64 characters]");
        case "resource_link" -> parts.add("[resource " + item.path("uri").asText("") + "]");
        case "resource" -> {
          JsonNode resource = item.path("resource");
          parts.add(
              resource.has("text")
                  ? resource.get("text").asText()
                  : "[resource " + resource.path("uri").asText("") + "]");
        }
        default -> parts.add(item.toString());
      }
    }
    JsonNode structured = result.get("structuredContent");
    if (parts.isEmpty() && structured != null && !structured.isNull()) {
      parts.add(structured.toString());
    }
    return new McpCallResult(String.join("\n", parts), result.path("isError").asBoolean(false));
  }
}
