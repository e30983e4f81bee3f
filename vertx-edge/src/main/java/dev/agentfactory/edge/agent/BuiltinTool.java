package dev.agentfactory.edge.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.event.ToolCall;
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
  FILES_READ(
      "files.read",
      "Read a UTF-8 text file from the sandbox. Returns its content (at most 256 KiB).",
      """
      {"type":"object","properties":{
        "path":{"type":"string","description":"Relative to /workspace, or absolute under it"}},
       "required":["path"],"additionalProperties":false}
      """),
  FILES_WRITE(
      "files.write",
      "Write a UTF-8 text file in the sandbox's workspace, replacing it if it exists and creating"
          + " missing parent directories.",
      """
      {"type":"object","properties":{
        "path":{"type":"string","description":"Relative to /workspace, or absolute under it"},
        "content":{"type":"string"}},
       "required":["path","content"],"additionalProperties":false}
      """),
  FILES_LIST(
      "files.list",
      "List a directory of the sandbox's workspace: name, type (file or dir) and size of each"
          + " entry.",
      """
      {"type":"object","properties":{
        "path":{"type":"string","description":"Relative to /workspace (default: the workspace)"}},
       "additionalProperties":false}
      """),
  HTTP_FETCH(
      "http.fetch",
      "Fetch a URL from inside the sandbox, through its egress proxy: only hosts on the agent's"
          + " allowlist are reachable. Returns the status, headers and body text (capped).",
      """
      {"type":"object","properties":{
        "url":{"type":"string","description":"An http or https URL"},
        "method":{"type":"string","enum":["GET","POST","PUT","PATCH","DELETE","HEAD"]},
        "headers":{"type":"object","additionalProperties":{"type":"string"}},
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

  /** The name models call, e.g. {@code sandbox_exec} ({@link ToolCall#functionName(String)}). */
  public String functionName() {
    return ToolCall.functionName(specName);
  }

  public ToolDefinition definition() {
    try {
      JsonNode parameters = MAPPER.readTree(schema);
      return new ToolDefinition(functionName(), description, parameters);
    } catch (java.io.IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The tool a spec names. {@code sandbox.read_file} and {@code sandbox.write_file}, the names
   * before the file tools existed, still read as {@code files.read} and {@code files.write}.
   */
  public static Optional<BuiltinTool> bySpecName(String name) {
    if ("sandbox.read_file".equals(name)) {
      return Optional.of(FILES_READ);
    }
    if ("sandbox.write_file".equals(name)) {
      return Optional.of(FILES_WRITE);
    }
    return Arrays.stream(values()).filter(t -> t.specName.equals(name)).findFirst();
  }

  /** The spec names, for error messages. */
  public static String specNames() {
    return String.join(", ", Arrays.stream(values()).map(BuiltinTool::specName).toList());
  }

  public static Optional<BuiltinTool> byFunctionName(String name) {
    return Arrays.stream(values()).filter(t -> t.functionName().equals(name)).findFirst();
  }
}
