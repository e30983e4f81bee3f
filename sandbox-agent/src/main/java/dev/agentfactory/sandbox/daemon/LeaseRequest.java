package dev.agentfactory.sandbox.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.egress.EgressPolicy;
import dev.agentfactory.sandbox.egress.EgressPolicyJson;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The body of {@code POST /v1/leases}, parsed and checked once:
 *
 * <pre>{@code
 * {"template": "python", "ttl_ms": 60000, "env": {"TASK": "42"},
 *  "files": {"task/input.json": "{}"},
 *  "network": {"egress": [{"host": "pypi.org", "ports": [443], "methods": ["CONNECT"]}]}}
 * }</pre>
 *
 * @param template the template to lease
 * @param ttl how long the lease lives without a call; null for the daemon's default
 * @param options claim-time env, files and egress policy
 */
record LeaseRequest(String template, Duration ttl, LeaseOptions options) {

  private static final Set<String> FIELDS = Set.of("template", "ttl_ms", "env", "files", "network");
  private static final Set<String> NETWORK = Set.of("policy", "egress");
  private static final ObjectMapper JSON = new ObjectMapper();

  static LeaseRequest parse(JsonObject body, Duration maxTtl) {
    Bodies.onlyKnown(body, FIELDS, "");
    String template = Bodies.string(body, "template", true);
    Long ttlMs = Bodies.longValue(body, "ttl_ms");
    Duration ttl = null;
    if (ttlMs != null) {
      if (ttlMs < 1000 || ttlMs > maxTtl.toMillis()) {
        throw ApiException.badField(
            "ttl_ms", "must be in [1000, " + maxTtl.toMillis() + "], was " + ttlMs);
      }
      ttl = Duration.ofMillis(ttlMs);
    }
    Map<String, String> env = Bodies.stringMap(body, "env");
    Map<String, String> files = Bodies.stringMap(body, "files");
    EgressPolicy egress = network(body);
    try {
      return new LeaseRequest(template, ttl, new LeaseOptions(env, files, egress));
    } catch (dev.agentfactory.sandbox.InvalidLeaseException e) {
      throw new ApiException(400, e.code(), e.getMessage(), e.field());
    }
  }

  /**
   * {@code network}: {@code {"policy": "none"}} or {@code {"egress": [rules]}}; null keeps the
   * template's.
   */
  private static EgressPolicy network(JsonObject body) {
    Object value = body.getValue("network");
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject network)) {
      throw ApiException.badField("network", "must be an object, e.g. {\"policy\": \"none\"}");
    }
    Bodies.onlyKnown(network, NETWORK, "network.");
    String policy = Bodies.string(network, "policy", false);
    Object egress = network.getValue("egress");
    if (policy != null && !policy.equals("none") && !policy.equals("allowlist")) {
      throw ApiException.badField(
          "network.policy", "must be 'none' or 'allowlist', was '" + policy + "'");
    }
    if (egress == null) {
      if ("allowlist".equals(policy)) {
        throw ApiException.badField("network.egress", "must be set for policy 'allowlist'");
      }
      return policy == null ? null : EgressPolicy.NONE;
    }
    if ("none".equals(policy)) {
      throw ApiException.badField("network.egress", "contradicts network.policy 'none'");
    }
    if (!(egress instanceof JsonArray rules)) {
      throw ApiException.badField("network.egress", "must be an array of rules");
    }
    try {
      return EgressPolicyJson.parse(JSON.readTree(rules.encode()), "network.egress");
    } catch (IllegalArgumentException e) {
      String message = e.getMessage();
      int space = message.indexOf(' ');
      String field = space > 0 ? message.substring(0, space) : "network.egress";
      throw new ApiException(400, "invalid_field", message, field);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw ApiException.badField("network.egress", "is not valid JSON");
    }
  }
}
