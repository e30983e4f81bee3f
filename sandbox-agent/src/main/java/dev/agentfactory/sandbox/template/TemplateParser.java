package dev.agentfactory.sandbox.template;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.sandbox.cgroup.ResourceLimits;
import dev.agentfactory.sandbox.egress.EgressPolicy;
import dev.agentfactory.sandbox.egress.EgressPolicyJson;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses a template from JSON into a {@link TemplateSpec}. Every error is an {@link
 * InvalidTemplateException} naming the template and the field:
 *
 * <pre>{@code
 * {
 *   "name": "python",
 *   "limits": {"memory_mb": 512, "pids": 256, "cpu_millis": 1000, "disk_mb": 1024},
 *   "env": {"PYTHONDONTWRITEBYTECODE": "1"},
 *   "files": {"hello.py": "print('hi')\n"},
 *   "network": {"egress": [{"host": "*.pypi.org", "ports": [443], "methods": ["CONNECT"]}]},
 *   "idle_timeout_s": 600,
 *   "max_lifetime_s": 7200,
 *   "warm_pool_size": 1,
 *   "requires": ["/usr/bin/python3"]
 * }
 * }</pre>
 *
 * Unknown fields are rejected (a misspelt limit must not silently mean "no limit").
 */
public final class TemplateParser {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> TOP =
      Set.of(
          "name",
          "description",
          "isolation",
          "limits",
          "env",
          "files",
          "network",
          "idle_timeout_s",
          "max_lifetime_s",
          "warm_pool_size",
          "requires");
  private static final Set<String> LIMITS = Set.of("memory_mb", "pids", "cpu_millis", "disk_mb");
  private static final Set<String> NETWORK = Set.of("policy", "egress");
  private static final Set<String> NETWORK_POLICIES = Set.of("none", "allowlist");
  private static final Set<String> ISOLATION = Set.of("process", "namespace", "vm");

  private TemplateParser() {}

  public static TemplateSpec parse(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new InvalidTemplateException("template is not valid JSON: " + e.getOriginalMessage());
    }
    String name = root != null && root.path("name").isTextual() ? root.get("name").asText() : "?";
    try {
      return parse(root);
    } catch (IllegalArgumentException e) {
      throw new InvalidTemplateException("template '" + name + "': " + e.getMessage());
    }
  }

  private static TemplateSpec parse(JsonNode root) {
    requireObject(root, "(top level)");
    onlyKnown(root, TOP, "");
    String name = text(root, "name", true);
    String isolation = text(root, "isolation", false);
    TemplateSpec.require(
        isolation == null || ISOLATION.contains(isolation),
        "isolation",
        "must be one of " + ISOLATION);
    JsonNode limitsNode = root.path("limits");
    ResourceLimits d = ResourceLimits.DEFAULT;
    ResourceLimits limits = d;
    if (!limitsNode.isMissingNode()) {
      requireObject(limitsNode, "limits");
      onlyKnown(limitsNode, LIMITS, "limits.");
      limits =
          new ResourceLimits(
              positive(limitsNode, "memory_mb", "limits.", d.memoryBytes() >> 20) << 20,
              (int) positive(limitsNode, "pids", "limits.", d.pids()),
              (int) positive(limitsNode, "cpu_millis", "limits.", d.cpuMillis()),
              positive(limitsNode, "disk_mb", "limits.", d.diskBytes() >> 20) << 20);
    }
    EgressPolicy egress = EgressPolicy.NONE;
    JsonNode networkNode = root.path("network");
    if (!networkNode.isMissingNode()) {
      requireObject(networkNode, "network");
      onlyKnown(networkNode, NETWORK, "network.");
      String policy = text(networkNode, "network.policy", false);
      JsonNode egressNode = networkNode.path("egress");
      TemplateSpec.require(
          policy == null || NETWORK_POLICIES.contains(policy),
          "network.policy",
          "must be one of " + NETWORK_POLICIES + ", was '" + policy + "'");
      if (!egressNode.isMissingNode()) {
        TemplateSpec.require(
            !"none".equals(policy), "network.egress", "contradicts network.policy 'none'");
        egress = EgressPolicyJson.parse(egressNode, "network.egress");
      } else {
        TemplateSpec.require(
            !"allowlist".equals(policy), "network.egress", "must be set for policy 'allowlist'");
      }
    }
    JsonNode idle = root.path("idle_timeout_s");
    JsonNode lifetime = root.path("max_lifetime_s");
    return new TemplateSpec(
        name,
        isolation,
        limits,
        strings(root, "env"),
        strings(root, "files"),
        egress,
        idle.isMissingNode() ? null : Duration.ofSeconds(positive(root, "idle_timeout_s", "", 0)),
        lifetime.isMissingNode()
            ? null
            : Duration.ofSeconds(positive(root, "max_lifetime_s", "", 0)),
        root.has("warm_pool_size") ? (int) nonNegative(root, "warm_pool_size") : 0,
        list(root, "requires"));
  }

  private static void requireObject(JsonNode node, String field) {
    TemplateSpec.require(node != null && node.isObject(), field, "must be a JSON object");
  }

  private static void onlyKnown(JsonNode node, Set<String> known, String prefix) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      TemplateSpec.require(known.contains(field), prefix + field, "is not a known field");
    }
  }

  /** {@code field} may be dotted ({@code network.policy}): its last part is looked up. */
  private static String text(JsonNode node, String field, boolean required) {
    JsonNode v = node.path(field.substring(field.lastIndexOf('.') + 1));
    if (v.isMissingNode() || v.isNull()) {
      TemplateSpec.require(!required, field, "must be set");
      return null;
    }
    TemplateSpec.require(v.isTextual(), field, "must be a string");
    return v.asText();
  }

  private static long positive(JsonNode node, String field, String prefix, long dflt) {
    JsonNode v = node.path(field);
    if (v.isMissingNode()) {
      return dflt;
    }
    TemplateSpec.require(v.isIntegralNumber(), prefix + field, "must be an integer");
    TemplateSpec.require(v.asLong() > 0, prefix + field, "must be positive");
    return v.asLong();
  }

  private static long nonNegative(JsonNode node, String field) {
    JsonNode v = node.path(field);
    TemplateSpec.require(v.isIntegralNumber() && v.asLong() >= 0, field, "must be >= 0");
    return v.asLong();
  }

  private static Map<String, String> strings(JsonNode node, String field) {
    JsonNode v = node.path(field);
    Map<String, String> out = new LinkedHashMap<>();
    if (v.isMissingNode()) {
      return out;
    }
    requireObject(v, field);
    v.fields()
        .forEachRemaining(
            e -> {
              TemplateSpec.require(
                  e.getValue().isTextual(), field + "." + e.getKey(), "must be a string");
              out.put(e.getKey(), e.getValue().asText());
            });
    return out;
  }

  private static List<String> list(JsonNode node, String field) {
    JsonNode v = node.path(field);
    List<String> out = new ArrayList<>();
    if (v.isMissingNode()) {
      return out;
    }
    TemplateSpec.require(v.isArray(), field, "must be an array of strings");
    for (JsonNode item : v) {
      TemplateSpec.require(item.isTextual(), field, "must be an array of strings");
      out.add(item.asText());
    }
    return out;
  }
}
