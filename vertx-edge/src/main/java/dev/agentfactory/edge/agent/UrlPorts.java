package dev.agentfactory.edge.agent;

import java.net.URI;
import java.util.List;

/**
 * The ports of the URLs a spec makes the node call ({@code model.base_url}, an HTTP MCP server's
 * {@code url}). {@link URI} takes any digits as a port ({@code http://host:99999/v1}), the node's
 * HTTP client none outside 1 to 65535: such a spec was stored, and each of its turns then failed
 * with an error no client could act on. Checked for new specs only, by {@link SpecAdmission} with
 * its other checks: versions already stored still load.
 *
 * <pre>{@code
 * AgentException refused = UrlPorts.refusal(spec); // null if every port is usable
 * }</pre>
 */
final class UrlPorts {

  static final int MAX_PORT = 65_535;

  private UrlPorts() {}

  /** An {@code invalid_spec} error naming the first URL whose port cannot be called, or null. */
  static AgentException refusal(AgentSpec spec) {
    if (spec.model().baseUrl().isPresent()) {
      AgentException refused = refusal("model.base_url", spec.model().baseUrl().get());
      if (refused != null) {
        return refused;
      }
    }
    List<AgentSpec.McpServer> servers = spec.mcpServers();
    for (int i = 0; i < servers.size(); i++) {
      if (servers.get(i) instanceof AgentSpec.McpServer.Http http) {
        AgentException refused = refusal("mcp_servers[" + i + "].url", http.url());
        if (refused != null) {
          return refused;
        }
      }
    }
    return null;
  }

  private static AgentException refusal(String field, URI url) {
    int port = url.getPort();
    // -1: none given, the scheme's own. The URL is not echoed: it may carry credentials.
    if (port == -1 || (port >= 1 && port <= MAX_PORT)) {
      return null;
    }
    return AgentException.invalidSpec(
        field, "has port " + port + ": a port is a number from 1 to " + MAX_PORT);
  }
}
