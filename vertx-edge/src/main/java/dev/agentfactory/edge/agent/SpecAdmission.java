package dev.agentfactory.edge.agent;

import dev.agentfactory.sandbox.egress.EgressPolicy;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import dev.agentfactory.sandbox.template.TemplateSpec;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * What a new agent spec must pass before the {@link AgentRegistry} writes it: a sandbox template
 * the node knows, egress within that template's allowlist, and HTTP MCP server URLs that leak no
 * secret, and no model or MCP URL with a port no server can have ({@link UrlPorts}). Checked for
 * new specs only: versions already stored still load.
 */
final class SpecAdmission {

  /** The sandbox templates agents may name. */
  private final TemplateCatalog templates;

  SpecAdmission(TemplateCatalog templates) {
    this.templates = templates;
  }

  /**
   * An {@code invalid_spec} error if the spec names a sandbox template this registry does not know
   * (the built-in ones unless the constructor was given others), or an egress rule ({@code
   * network.egress}) its template's allowlist does not cover, so that a typo or a wider network
   * fails when the agent is written, not at its first session's lease. Checked for new specs only:
   * versions already stored still load (their sessions get {@code lease_failed}).
   */
  AgentException refusal(AgentSpec spec) {
    AgentException mcp = mcpUrlRefusal(spec);
    if (mcp != null) {
      return mcp;
    }
    AgentException port = UrlPorts.refusal(spec);
    if (port != null) {
      return port;
    }
    Optional<TemplateSpec> template = templates.get(spec.sandboxTemplate());
    if (template.isEmpty()) {
      return AgentException.invalidSpec(
          "sandbox.template",
          "unknown template '"
              + spec.sandboxTemplate()
              + "', known: "
              + String.join(", ", new TreeSet<>(templates.names())));
    }
    if (spec.egress().isEmpty()) {
      return null;
    }
    // the rule the sandbox pool would refuse at lease time, as it would word it
    EgressPolicy allowed = template.get().egress();
    return allowed
        .firstUncovered(spec.egress().get())
        .map(
            i ->
                AgentException.invalidSpec(
                    "network.egress[" + i + "]",
                    "("
                        + spec.egress().get().rules().get(i)
                        + ") is not covered by template '"
                        + spec.sandboxTemplate()
                        + "', whose egress allowlist is "
                        + (allowed.isNone() ? "empty (no network)" : allowed.rules())
                        + ": an agent may only narrow it"))
        .orElse(null);
  }

  /**
   * An {@code invalid_spec} error for an HTTP MCP server whose URL carries credentials ({@code
   * user:pass@}) or a fragment. The node's HTTP client sends neither (no Basic auth from the URL,
   * no fragment on the wire), while the URL is stored and returned by the versions API, so such a
   * URL only leaks a secret. The URL is not echoed. Checked for new specs only: versions already
   * stored still load.
   */
  private static AgentException mcpUrlRefusal(AgentSpec spec) {
    List<AgentSpec.McpServer> servers = spec.mcpServers();
    for (int i = 0; i < servers.size(); i++) {
      if (servers.get(i) instanceof AgentSpec.McpServer.Http http
          && (http.url().getRawUserInfo() != null || http.url().getRawFragment() != null)) {
        return AgentException.invalidSpec(
            "mcp_servers[" + i + "].url",
            "must be an http(s) URL without credentials (user:pass@, which are never sent) or"
                + " fragment");
      }
    }
    return null;
  }
}
