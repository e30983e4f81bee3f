package dev.agentfactory.edge.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.edge.model.ToolDefinition;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Optional;

/**
 * The tools an agent spec can name. Specs use the dotted name ({@code sandbox.exec}); models see a
 * function name without dots ({@code sandbox_exec}) because function-calling APIs forbid them.
 */
public enum BuiltinTool {
  SANDBOX_EXEC(
      "sandbox.exec",
      "Run a shell command in the agent's sandbox (working directory /workspace) and return its"
          + " exit code, stdout and stderr.",
      """
      {"type":"object","properties":{
        "command":{"type":"string","description":"A shell command line, run with /bin/sh -c"},
        "timeout_ms":{"type":"integer","minimum":1,"maximum":600000}},
       "required":["command"],"additionalProperties":false}
      """),
  SANDBOX_READ_FILE(
      "sandbox.read_file",
      "Read a UTF-8 text file from the sandbox.",
      """
      {"type":"object","properties":{
        "path":{"type":"string","description":"Absolute, or relative to /workspace"}},
       "required":["path"],"additionalProperties":false}
      """),
  SANDBOX_WRITE_FILE(
      "sandbox.write_file",
      "Write a UTF-8 text file in the sandbox, replacing it if it exists.",
      """
      {"type":"object","properties":{
        "path":{"type":"string","description":"Absolute, or relative to /workspace"},
        "content":{"type":"string"}},
       "required":["path","content"],"additionalProperties":false}
      """),
  /** Declared for specs; executed through the sandbox's egress allowlist in a later issue. */
  HTTP_FETCH(
      "http.fetch",
      "Fetch a URL through the sandbox's egress proxy (only allowlisted hosts) and return the"
          + " status and body text.",
      """
      {"type":"object","properties":{
        "url":{"type":"string","description":"An http or https URL"},
        "method":{"type":"string","enum":["GET","POST"]},
        "body":{"type":"string"}},
       "required":["url"],"additionalProperties":false}
      """);

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final String specName;
  private final String description;
  private final String schema;

  BuiltinTool(String specName, String description, String schema) {
    this.specName = specName;
    this.description = description;
    this.schema = schema;
  }

  /** The name in agent specs, e.g. {@code sandbox.exec}. */
  public String specName() {
    return specName;
  }

  /** The name models call, e.g. {@code sandbox_exec}. */
  public String functionName() {
    return specName.replace('.', '_');
  }

  /** Whether the session engine can run it yet (http.fetch waits for the egress allowlist). */
  public boolean implemented() {
    return this != HTTP_FETCH;
  }

  public ToolDefinition definition() {
    try {
      JsonNode parameters = MAPPER.readTree(schema);
      return new ToolDefinition(functionName(), description, parameters);
    } catch (java.io.IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Optional<BuiltinTool> bySpecName(String name) {
    return Arrays.stream(values()).filter(t -> t.specName.equals(name)).findFirst();
  }

  public static Optional<BuiltinTool> byFunctionName(String name) {
    return Arrays.stream(values()).filter(t -> t.functionName().equals(name)).findFirst();
  }
}
