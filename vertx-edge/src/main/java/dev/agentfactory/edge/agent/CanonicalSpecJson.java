package dev.agentfactory.edge.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentfactory.edge.model.ModelParameters;
import dev.agentfactory.sandbox.egress.EgressRule;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The canonical JSON of an agent spec, which the store holds and the content hash is taken of:
 * fixed field order, defaults written out, so that equal specs have equal JSON and equal hashes.
 */
final class CanonicalSpecJson {

  /** Writes canonical JSON. */
  private final ObjectMapper json = new ObjectMapper();

  /** The canonical JSON of a spec: fixed field order, defaults written out. Stored and hashed. */
  String toJson(AgentSpec spec) {
    ObjectNode root = json.createObjectNode();
    root.put("name", spec.name());
    root.put("description", spec.description());
    ObjectNode model = root.putObject("model");
    model.put("provider", spec.model().provider().wire());
    model.put("name", spec.model().name());
    spec.model().baseUrl().ifPresent(u -> model.put("base_url", u.toString()));
    spec.model().apiKey().ifPresent(k -> model.put("api_key", k.toString()));
    ObjectNode params = model.putObject("parameters");
    ModelParameters p = spec.model().parameters();
    p.temperature().ifPresent(t -> params.put("temperature", t));
    p.topP().ifPresent(t -> params.put("top_p", t));
    p.maxTokens().ifPresent(m -> params.put("max_tokens", m));
    root.put("system_prompt", spec.systemPrompt());
    spec.tools().forEach(t -> root.withArray("tools").add(t.specName()));
    root.withArray("tools");
    root.withArray("mcp_servers");
    for (AgentSpec.McpServer server : spec.mcpServers()) {
      ObjectNode entry =
          root.withArray("mcp_servers")
              .addObject()
              .put("name", server.name())
              .put("transport", server.transport());
      if (server instanceof AgentSpec.McpServer.Http http) {
        entry.put("url", http.url().toString());
      } else if (server instanceof AgentSpec.McpServer.Stdio stdio) {
        stdio.command().forEach(entry.putArray("command")::add);
        ObjectNode env = entry.putObject("env");
        new TreeMap<>(stdio.env()).forEach(env::put);
      }
    }
    root.putObject("sandbox").put("template", spec.sandboxTemplate());
    spec.egress()
        .ifPresent(
            policy -> {
              ArrayNode rules = root.putObject("network").putArray("egress");
              for (EgressRule rule : policy.rules()) {
                ObjectNode r = rules.addObject().put("host", rule.host());
                rule.ports().forEach(r.putArray("ports")::add);
                new TreeSet<>(rule.methods()).forEach(r.putArray("methods")::add);
              }
            });
    root.putObject("limits")
        .put("max_turns", spec.limits().maxTurns())
        .put("max_tokens", spec.limits().maxTokens())
        .put("max_wall_time_ms", spec.limits().maxWallTime().toMillis());
    try {
      return json.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write spec " + spec.name(), e);
    }
  }

  /** {@code sha256:} and the hex SHA-256 of the canonical JSON: equal specs, equal hashes. */
  String contentHash(AgentSpec spec) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(toJson(spec).getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
