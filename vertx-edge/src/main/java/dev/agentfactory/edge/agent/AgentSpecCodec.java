package dev.agentfactory.edge.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentfactory.edge.model.ModelParameters;
import dev.agentfactory.edge.model.SecretRef;
import dev.agentfactory.sandbox.egress.EgressPolicy;
import dev.agentfactory.sandbox.egress.EgressPolicyJson;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads agent specs from JSON or YAML and writes their canonical JSON. Strict: unknown fields are
 * rejected (a misspelt {@code system_promt} would otherwise silently change what the agent does),
 * and every error names its field in dotted form. A new spec ({@link #parseJson}, {@link
 * #parseYaml}) may not name a field twice or hold a string with an unpaired UTF-16 surrogate; a
 * stored version ({@link #parseStoredJson}), written before those checks, still loads.
 *
 * <pre>{@code
 * AgentSpec math = new AgentSpecCodec().parseJson(Files.readString(path));
 * }</pre>
 */
public final class AgentSpecCodec {

  private static final Set<String> TOP =
      Set.of(
          "name",
          "description",
          "model",
          "system_prompt",
          "tools",
          "mcp_servers",
          "sandbox",
          "network",
          "limits");
  private static final Set<String> MODEL =
      Set.of("provider", "name", "base_url", "api_key", "parameters");
  private static final Set<String> PARAMETERS = Set.of("temperature", "top_p", "max_tokens");
  private static final Set<String> MCP_HTTP = Set.of("name", "transport", "url");
  private static final Set<String> MCP_STDIO = Set.of("name", "transport", "command", "env");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  static final int MAX_COMMAND_ARGS = 256;
  private static final Set<String> SANDBOX = Set.of("template");
  private static final Set<String> NETWORK = Set.of("egress");
  private static final Set<String> LIMITS = Set.of("max_turns", "max_tokens", "max_wall_time_ms");

  /** Spec text into a tree: byte order mark, repeated fields, unpaired surrogates. */
  private final SpecTextReader reader = new SpecTextReader();

  /** Specs into their canonical JSON and its hash. */
  private final CanonicalSpecJson canonical = new CanonicalSpecJson();

  /**
   * A new spec, as written by a client: a leading byte order mark is ignored; a field given twice
   * (which JSON parsers resolve differently) or a string with an unpaired surrogate (which has no
   * UTF-8 form) is an {@code invalid_spec} naming the field.
   */
  public AgentSpec parseJson(String text) {
    return parse(reader.newJson(text));
  }

  public AgentSpec parseYaml(String text) {
    return parse(reader.newYaml(text));
  }

  /**
   * A version as the store holds it, written by this or an older version of the node: validated as
   * a spec, but a repeated field (its last value wins) and unpaired surrogates are let through, so
   * that versions stored before those were refused still load.
   */
  public AgentSpec parseStoredJson(String text) {
    return parse(reader.storedJson(text));
  }

  /** A spec from the classpath, e.g. {@code agents/math.json}; YAML if the name ends in .yaml. */
  public AgentSpec readResource(String name) {
    try (InputStream in = AgentSpecCodec.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw AgentException.notFound("no resource " + name);
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return name.endsWith(".yaml") || name.endsWith(".yml") ? parseYaml(text) : parseJson(text);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Validates a parsed tree into a spec. */
  public AgentSpec parse(JsonNode root) {
    onlyKnown(root, "", TOP);
    JsonNode model = object(root, "model", "model", true);
    onlyKnown(model, "model.", MODEL);
    JsonNode sandbox = object(root, "sandbox", "sandbox", true);
    onlyKnown(sandbox, "sandbox.", SANDBOX);
    JsonNode limitsNode = object(root, "limits", "limits", false);
    return new AgentSpec(
        text(root, "name", "name", true),
        text(root, "description", "description", false),
        modelSpec(model),
        text(root, "system_prompt", "system_prompt", false),
        tools(root.get("tools")),
        mcpServers(root.get("mcp_servers")),
        text(sandbox, "template", "sandbox.template", true),
        egress(object(root, "network", "network", false)),
        limitsNode == null ? AgentSpec.Limits.DEFAULTS : limits(limitsNode));
  }

  private AgentSpec.ModelSpec modelSpec(JsonNode model) {
    String providerText = text(model, "provider", "model.provider", true);
    AgentSpec.Provider provider =
        switch (providerText) {
          case "openai" -> AgentSpec.Provider.OPENAI;
          case "scripted" -> AgentSpec.Provider.SCRIPTED;
          default ->
              throw AgentException.invalidSpec(
                  "model.provider", "'" + providerText + "' is not openai or scripted");
        };
    Optional<URI> baseUrl =
        Optional.ofNullable(text(model, "base_url", "model.base_url", false))
            .map(s -> uri("model.base_url", s));
    Optional<SecretRef> apiKey =
        Optional.ofNullable(text(model, "api_key", "model.api_key", false))
            .map(
                s -> {
                  try {
                    return SecretRef.parse(s);
                  } catch (IllegalArgumentException e) {
                    // never echo the value: it may be a pasted key
                    throw AgentException.invalidSpec("model.api_key", e.getMessage());
                  }
                });
    JsonNode params = object(model, "parameters", "model.parameters", false);
    ModelParameters parameters = ModelParameters.DEFAULTS;
    if (params != null) {
      onlyKnown(params, "model.parameters.", PARAMETERS);
      OptionalDouble temperature = number(params, "temperature");
      OptionalDouble topP = number(params, "top_p");
      OptionalInt maxTokens = wholeNumber(params, "max_tokens", "model.parameters.max_tokens");
      try {
        parameters = new ModelParameters(temperature, topP, maxTokens);
      } catch (IllegalArgumentException e) {
        String field = e.getMessage().split(" ")[0];
        throw AgentException.invalidSpec("model.parameters." + field, e.getMessage());
      }
    }
    return new AgentSpec.ModelSpec(
        provider, text(model, "name", "model.name", true), baseUrl, apiKey, parameters);
  }

  private static List<BuiltinTool> tools(JsonNode node) {
    List<BuiltinTool> tools = new ArrayList<>();
    if (node == null || node.isNull()) {
      return tools;
    }
    if (!node.isArray()) {
      throw AgentException.invalidSpec("tools", "must be an array of tool names");
    }
    for (int i = 0; i < node.size(); i++) {
      JsonNode entry = node.get(i);
      String field = "tools[" + i + "]";
      if (!entry.isTextual()) {
        throw AgentException.invalidSpec(field, "must be a tool name");
      }
      tools.add(
          BuiltinTool.bySpecName(entry.textValue())
              .orElseThrow(
                  () ->
                      AgentException.invalidSpec(
                          field,
                          "unknown tool '"
                              + entry.textValue()
                              + "'; built-ins are "
                              + BuiltinTool.specNames()
                              + " (MCP tools come from mcp_servers)")));
    }
    return tools;
  }

  private static List<AgentSpec.McpServer> mcpServers(JsonNode node) {
    List<AgentSpec.McpServer> servers = new ArrayList<>();
    if (node == null || node.isNull()) {
      return servers;
    }
    if (!node.isArray()) {
      throw AgentException.invalidSpec("mcp_servers", "must be an array");
    }
    for (int i = 0; i < node.size(); i++) {
      String prefix = "mcp_servers[" + i + "]";
      JsonNode entry = node.get(i);
      if (!entry.isObject()) {
        throw AgentException.invalidSpec(
            prefix,
            "must be an object: {name, transport: http, url} or {name, transport: stdio,"
                + " command}");
      }
      String name = text(entry, "name", prefix + ".name", true);
      AgentSpec.requireSlug(prefix + ".name", name);
      String transport = text(entry, "transport", prefix + ".transport", false);
      if (transport == null) {
        // Specs from before stdio servers: a url alone means streamable HTTP.
        transport = entry.has("command") ? "stdio" : "http";
      }
      switch (transport) {
        case "http" -> {
          onlyKnown(entry, prefix + ".", MCP_HTTP);
          URI url = uri(prefix + ".url", text(entry, "url", prefix + ".url", true));
          servers.add(new AgentSpec.McpServer.Http(name, url));
        }
        case "stdio" -> {
          onlyKnown(entry, prefix + ".", MCP_STDIO);
          servers.add(
              new AgentSpec.McpServer.Stdio(
                  name, command(entry.get("command"), prefix + ".command"), env(entry, prefix)));
        }
        default ->
            throw AgentException.invalidSpec(
                prefix + ".transport", "'" + transport + "' is not http or stdio");
      }
    }
    return servers;
  }

  private static List<String> command(JsonNode node, String field) {
    if (node == null || node.isNull()) {
      throw AgentException.invalidSpec(field, "is required for transport stdio");
    }
    if (!node.isArray() || node.isEmpty() || node.size() > MAX_COMMAND_ARGS) {
      throw AgentException.invalidSpec(
          field, "must be an array of 1 to " + MAX_COMMAND_ARGS + " strings (the argv)");
    }
    List<String> argv = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode arg = node.get(i);
      if (!arg.isTextual() || arg.textValue().indexOf('\0') >= 0) {
        throw AgentException.invalidSpec(field + "[" + i + "]", "must be a string without NUL");
      }
      argv.add(arg.textValue());
    }
    if (argv.get(0).isBlank()) {
      throw AgentException.invalidSpec(field + "[0]", "must name a program");
    }
    return argv;
  }

  private static Map<String, String> env(JsonNode entry, String prefix) {
    JsonNode node = object(entry, "env", prefix + ".env", false);
    Map<String, String> env = new TreeMap<>();
    if (node == null) {
      return env;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String name = prefix + ".env." + field.getKey();
      if (!ENV_NAME.matcher(field.getKey()).matches()) {
        throw AgentException.invalidSpec(name, "is not an environment variable name");
      }
      if (!field.getValue().isTextual() || field.getValue().textValue().indexOf('\0') >= 0) {
        throw AgentException.invalidSpec(name, "must be a string without NUL");
      }
      env.put(field.getKey(), field.getValue().textValue());
    }
    return env;
  }

  private static Optional<EgressPolicy> egress(JsonNode network) {
    if (network == null) {
      return Optional.empty();
    }
    onlyKnown(network, "network.", NETWORK);
    JsonNode egress = network.get("egress");
    if (egress == null || egress.isNull()) {
      return Optional.empty();
    }
    try {
      return Optional.of(EgressPolicyJson.parse(egress, "network.egress"));
    } catch (IllegalArgumentException e) {
      // the parser's messages start with the field: "network.egress[0].host must be set"
      String message = String.valueOf(e.getMessage());
      int space = message.indexOf(' ');
      throw space > 0
          ? AgentException.invalidSpec(message.substring(0, space), message.substring(space + 1))
          : AgentException.invalidSpec("network.egress", message);
    }
  }

  private static AgentSpec.Limits limits(JsonNode node) {
    onlyKnown(node, "limits.", LIMITS);
    AgentSpec.Limits d = AgentSpec.Limits.DEFAULTS;
    int turns = wholeNumber(node, "max_turns", "limits.max_turns").orElse(d.maxTurns());
    int tokens = wholeNumber(node, "max_tokens", "limits.max_tokens").orElse(d.maxTokens());
    OptionalInt wall = wholeNumber(node, "max_wall_time_ms", "limits.max_wall_time_ms");
    return new AgentSpec.Limits(
        turns, tokens, wall.isPresent() ? Duration.ofMillis(wall.getAsInt()) : d.maxWallTime());
  }

  /** The canonical JSON of a spec: fixed field order, defaults written out. Stored and hashed. */
  public String toJson(AgentSpec spec) {
    return canonical.toJson(spec);
  }

  /** {@code sha256:} and the hex SHA-256 of the canonical JSON: equal specs, equal hashes. */
  public String contentHash(AgentSpec spec) {
    return canonical.contentHash(spec);
  }

  private static void onlyKnown(JsonNode node, String prefix, Set<String> known) {
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!known.contains(name)) {
        throw AgentException.invalidSpec(
            prefix + name, "unknown field; expected one of " + known.stream().sorted().toList());
      }
    }
  }

  private static JsonNode object(JsonNode parent, String key, String field, boolean required) {
    JsonNode node = parent.get(key);
    if (node == null || node.isNull()) {
      if (required) {
        throw AgentException.invalidSpec(field, "is required");
      }
      return null;
    }
    if (!node.isObject()) {
      throw AgentException.invalidSpec(field, "must be an object");
    }
    return node;
  }

  private static String text(JsonNode parent, String key, String field, boolean required) {
    JsonNode node = parent.get(key);
    if (node == null || node.isNull()) {
      if (required) {
        throw AgentException.invalidSpec(field, "is required");
      }
      return null;
    }
    if (!node.isTextual()) {
      throw AgentException.invalidSpec(field, "must be a string");
    }
    return node.textValue();
  }

  private static OptionalDouble number(JsonNode parent, String key) {
    JsonNode node = parent.get(key);
    if (node == null || node.isNull()) {
      return OptionalDouble.empty();
    }
    if (!node.isNumber()) {
      throw AgentException.invalidSpec("model.parameters." + key, "must be a number");
    }
    return OptionalDouble.of(node.doubleValue());
  }

  private static OptionalInt wholeNumber(JsonNode parent, String key, String field) {
    JsonNode node = parent.get(key);
    if (node == null || node.isNull()) {
      return OptionalInt.empty();
    }
    if (!node.isIntegralNumber()) {
      throw AgentException.invalidSpec(field, "must be a whole number");
    }
    if (!node.canConvertToInt()) {
      // a whole number all the same: "must be a whole number" sent users looking for a fraction
      throw AgentException.invalidSpec(
          field, "is " + node.asText() + ", too large: at most " + Integer.MAX_VALUE);
    }
    return OptionalInt.of(node.intValue());
  }

  private static URI uri(String field, String text) {
    try {
      URI uri = new URI(text);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw AgentException.invalidSpec(field, "must be an absolute http(s) URL");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw AgentException.invalidSpec(field, "is not a URL: " + e.getReason());
    }
  }
}
