package dev.agentfactory.edge.agent;

import dev.agentfactory.edge.model.ChatMessage;
import dev.agentfactory.edge.model.ChatRequest;
import dev.agentfactory.edge.model.ModelParameters;
import dev.agentfactory.edge.model.ScriptedPolicy;
import dev.agentfactory.edge.model.SecretRef;
import dev.agentfactory.edge.model.ToolDefinition;
import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.egress.EgressPolicy;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an agent is: its model, instructions, tools, sandbox and limits. Parsed once by {@link
 * AgentSpecCodec}; every constructor validates and names the offending field in an {@link
 * AgentException} with code {@code invalid_spec}. Immutable: a changed spec is a new version.
 */
public record AgentSpec(
    String name,
    String description,
    ModelSpec model,
    String systemPrompt,
    List<BuiltinTool> tools,
    List<McpServer> mcpServers,
    String sandboxTemplate,
    Optional<EgressPolicy> egress,
    Limits limits) {

  static final Pattern SLUG = Pattern.compile("[a-z][a-z0-9-]{0,62}");
  static final int MAX_DESCRIPTION = 1_000;
  static final int MAX_SYSTEM_PROMPT = 100_000;

  public AgentSpec {
    requireSlug("name", name);
    description = description == null ? "" : description;
    if (description.length() > MAX_DESCRIPTION) {
      throw AgentException.invalidSpec("description", "at most " + MAX_DESCRIPTION + " characters");
    }
    if (model == null) {
      throw AgentException.invalidSpec("model", "is required");
    }
    systemPrompt = systemPrompt == null ? "" : systemPrompt;
    if (systemPrompt.length() > MAX_SYSTEM_PROMPT) {
      throw AgentException.invalidSpec(
          "system_prompt", "at most " + MAX_SYSTEM_PROMPT + " characters");
    }
    tools = List.copyOf(tools);
    if (new HashSet<>(tools).size() != tools.size()) {
      throw AgentException.invalidSpec("tools", "a tool is listed twice");
    }
    mcpServers = List.copyOf(mcpServers);
    Set<String> mcpNames = new HashSet<>();
    for (int i = 0; i < mcpServers.size(); i++) {
      if (!mcpNames.add(mcpServers.get(i).name())) {
        throw AgentException.invalidSpec("mcp_servers[" + i + "].name", "names must be unique");
      }
    }
    requireSlug("sandbox.template", sandboxTemplate);
    Objects.requireNonNull(egress, "egress");
    if (limits == null) {
      throw AgentException.invalidSpec("limits", "is required");
    }
  }

  /** Which kind of {@code ModelProvider} serves the agent. */
  public enum Provider {
    OPENAI("openai"),
    SCRIPTED("scripted");

    private final String wire;

    Provider(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }
  }

  /**
   * The model: which provider, which model, where (OpenAI-compatible servers only), which key and
   * how to sample. {@code apiKey} is a reference ({@code env:} or {@code file:}), never a key.
   */
  public record ModelSpec(
      Provider provider,
      String name,
      Optional<URI> baseUrl,
      Optional<SecretRef> apiKey,
      ModelParameters parameters) {

    public ModelSpec {
      if (provider == null) {
        throw AgentException.invalidSpec("model.provider", "must be openai or scripted");
      }
      if (name == null || name.isBlank() || name.length() > 200) {
        throw AgentException.invalidSpec("model.name", "must be 1 to 200 characters");
      }
      Objects.requireNonNull(baseUrl, "baseUrl");
      Objects.requireNonNull(apiKey, "apiKey");
      parameters = parameters == null ? ModelParameters.DEFAULTS : parameters;
      if (provider == Provider.OPENAI) {
        URI url =
            baseUrl.orElseThrow(
                () ->
                    AgentException.invalidSpec(
                        "model.base_url", "is required for provider openai"));
        if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme()))
            || url.getHost() == null
            || url.getRawUserInfo() != null
            || url.getRawQuery() != null
            || url.getRawFragment() != null) {
          // not echoed: credentials in the URL are a secret. A fragment would swallow the
          // /chat/completions appended to the URL, and is never sent to the server anyway
          throw AgentException.invalidSpec(
              "model.base_url", "must be an http(s) URL without credentials, query or fragment");
        }
      } else {
        if (!ScriptedPolicy.MODELS.contains(name)) {
          throw AgentException.invalidSpec(
              "model.name", "provider scripted serves " + ScriptedPolicy.MODELS);
        }
        if (baseUrl.isPresent()) {
          throw AgentException.invalidSpec("model.base_url", "not used by provider scripted");
        }
        if (apiKey.isPresent()) {
          throw AgentException.invalidSpec("model.api_key", "not used by provider scripted");
        }
      }
    }
  }

  /**
   * An MCP (Model Context Protocol) server whose tools the agent may call. Its tools are discovered
   * with {@code tools/list} when a session first needs them and offered to the model as {@code
   * mcp_<server>_<tool>}.
   */
  public sealed interface McpServer permits McpServer.Http, McpServer.Stdio {

    String name();

    /** The wire name of the transport: {@code http} or {@code stdio}. */
    String transport();

    /** A streamable-HTTP server, called from the edge node. */
    record Http(String name, URI url) implements McpServer {
      public Http {
        Objects.requireNonNull(url, "url");
      }

      @Override
      public String transport() {
        return "http";
      }
    }

    /**
     * A stdio server, started inside the session's sandbox: {@code command} is its argv, {@code
     * env} extra environment variables.
     */
    record Stdio(String name, List<String> command, Map<String, String> env) implements McpServer {
      public Stdio {
        command = List.copyOf(command);
        env = Map.copyOf(env);
        if (command.isEmpty()) {
          throw new IllegalArgumentException("command must name a program");
        }
      }

      @Override
      public String transport() {
        return "stdio";
      }
    }
  }

  /** How far one session of the agent may go: model turns, total tokens, wall-clock time. */
  public record Limits(int maxTurns, int maxTokens, Duration maxWallTime) {

    public static final int MAX_TURNS = 200;
    public static final Duration MAX_WALL_TIME = Duration.ofHours(24);
    public static final Limits DEFAULTS = new Limits(16, 100_000, Duration.ofMinutes(10));

    public Limits {
      if (maxTurns < 1 || maxTurns > MAX_TURNS) {
        throw AgentException.invalidSpec("limits.max_turns", "must be from 1 to " + MAX_TURNS);
      }
      if (maxTokens < 1) {
        throw AgentException.invalidSpec("limits.max_tokens", "must be a positive whole number");
      }
      if (maxWallTime == null
          || maxWallTime.isNegative()
          || maxWallTime.isZero()
          || maxWallTime.compareTo(MAX_WALL_TIME) > 0) {
        throw AgentException.invalidSpec(
            "limits.max_wall_time_ms", "must be from 1 to " + MAX_WALL_TIME.toMillis());
      }
    }
  }

  /**
   * What the session's sandbox is leased with: the agent's egress allowlist ({@code
   * network.egress}), which must be narrower than its template's; without one the template's.
   */
  public LeaseOptions leaseOptions() {
    return egress.map(LeaseOptions.NONE::withEgress).orElse(LeaseOptions.NONE);
  }

  /** The built-in tools offered to the model, as functions (MCP tools come per session). */
  public List<ToolDefinition> toolDefinitions() {
    return tools.stream().map(BuiltinTool::definition).toList();
  }

  /** A model request for this agent: the system prompt, then {@code conversation}. */
  public ChatRequest chatRequest(List<ChatMessage> conversation) {
    return chatRequest(conversation, toolDefinitions());
  }

  /** A model request offering {@code tools} (the built-ins and the session's MCP tools). */
  public ChatRequest chatRequest(List<ChatMessage> conversation, List<ToolDefinition> tools) {
    List<ChatMessage> messages = new ArrayList<>();
    if (!systemPrompt.isEmpty()) {
      messages.add(new ChatMessage.System(systemPrompt));
    }
    messages.addAll(conversation);
    return new ChatRequest(model.name(), messages, tools, model.parameters());
  }

  static void requireSlug(String field, String value) {
    if (value == null || !SLUG.matcher(value).matches()) {
      throw AgentException.invalidSpec(
          field, "must be a slug: a lowercase letter, then up to 62 of a-z, 0-9 and '-'");
    }
  }
}
