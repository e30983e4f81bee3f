package dev.agentfactory.sandbox.egress;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses an egress allowlist from JSON, for templates ({@code network.egress}) and lease requests:
 *
 * <pre>{@code
 * [{"host": "*.pypi.org", "ports": [443], "methods": ["CONNECT"]},
 *  {"host": "example.com", "ports": [80], "methods": ["GET", "HEAD"]}]
 * }</pre>
 *
 * Errors are {@link IllegalArgumentException}s whose message starts with the field, e.g. {@code
 * network.egress[1].host must be set}.
 */
public final class EgressPolicyJson {

  private static final Set<String> FIELDS = Set.of("host", "ports", "methods");

  private EgressPolicyJson() {}

  /**
   * @param node a JSON array of rules
   * @param field the array's name in error messages, e.g. {@code network.egress}
   */
  public static EgressPolicy parse(JsonNode node, String field) {
    require(node != null && node.isArray(), field, "must be an array of rules");
    List<EgressRule> rules = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      rules.add(rule(node.get(i), field + "[" + i + "]"));
    }
    return new EgressPolicy(rules);
  }

  private static EgressRule rule(JsonNode node, String field) {
    require(node.isObject(), field, "must be an object with host, ports, methods");
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      require(FIELDS.contains(name), field + "." + name, "is not a known field");
    }
    JsonNode host = node.path("host");
    require(host.isTextual(), field + ".host", "must be set (a string)");
    List<Integer> ports = null;
    JsonNode portsNode = node.path("ports");
    if (!portsNode.isMissingNode()) {
      require(portsNode.isArray(), field + ".ports", "must be an array of port numbers");
      ports = new ArrayList<>();
      for (int i = 0; i < portsNode.size(); i++) {
        JsonNode p = portsNode.get(i);
        require(p.isIntegralNumber(), field + ".ports[" + i + "]", "must be an integer");
        ports.add(p.asInt());
      }
    }
    Set<String> methods = null;
    JsonNode methodsNode = node.path("methods");
    if (!methodsNode.isMissingNode()) {
      require(methodsNode.isArray(), field + ".methods", "must be an array of method names");
      methods = new LinkedHashSet<>();
      for (int i = 0; i < methodsNode.size(); i++) {
        JsonNode m = methodsNode.get(i);
        require(m.isTextual(), field + ".methods[" + i + "]", "must be a string");
        methods.add(m.asText());
      }
    }
    try {
      return new EgressRule(host.asText(), ports, methods);
    } catch (IllegalArgumentException e) {
      // the rule's own messages start with its field name (host, ports[0], methods)
      throw new IllegalArgumentException(field + "." + e.getMessage(), e);
    }
  }

  private static void require(boolean ok, String field, String message) {
    if (!ok) {
      throw new IllegalArgumentException(field + " " + message);
    }
  }
}
