package dev.agentfactory.sandbox.template;

import dev.agentfactory.sandbox.cgroup.ResourceLimits;
import dev.agentfactory.sandbox.egress.EgressPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A sandbox template, parsed and validated once from JSON by {@link TemplateParser}; errors name
 * the field, e.g. {@code limits.memory_mb must be positive}.
 *
 * @param name the name leases ask for, e.g. {@code python}
 * @param isolation the isolation level the template needs ({@code namespace}, {@code process}, …),
 *     or null for any: a pool of another level reports the template unavailable
 * @param limits memory, pids, cpu and disk caps of each sandbox
 * @param env environment variables set for every command
 * @param files files seeded into the workspace before the sandbox starts, by relative path
 * @param egress the egress allowlist ({@code network.egress}); {@link EgressPolicy#NONE} (the
 *     default, {@code network.policy: none}) for no network at all
 * @param idleTimeout a leased sandbox with no command for this long is terminated; null for never
 * @param maxLifetime a sandbox is terminated this long after it started; null for never
 * @param warmPoolSize ready sandboxes kept by default (a pool's configuration may override it)
 * @param requires host paths that must exist for the template to work (e.g. {@code
 *     /usr/bin/python3}); when one is missing the template is unavailable, not the pool
 */
public record TemplateSpec(
    String name,
    String isolation,
    ResourceLimits limits,
    Map<String, String> env,
    Map<String, String> files,
    EgressPolicy egress,
    Duration idleTimeout,
    Duration maxLifetime,
    int warmPoolSize,
    List<String> requires) {

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,31}");
  private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  public TemplateSpec {
    require(name != null && NAME.matcher(name).matches(), "name", "must match " + NAME);
    Objects.requireNonNull(limits, "limits");
    env = Map.copyOf(env);
    env.keySet()
        .forEach(
            k -> require(ENV_KEY.matcher(k).matches(), "env", "bad variable name '" + k + "'"));
    files = Map.copyOf(files);
    files.keySet().forEach(TemplateSpec::requireRelative);
    Objects.requireNonNull(egress, "egress");
    require(
        idleTimeout == null || idleTimeout.toMillis() > 0, "idle_timeout_s", "must be positive");
    require(
        maxLifetime == null || maxLifetime.toMillis() > 0, "max_lifetime_s", "must be positive");
    require(warmPoolSize >= 0 && warmPoolSize <= 1000, "warm_pool_size", "must be in [0, 1000]");
    requires = List.copyOf(requires);
    requires.forEach(p -> require(p.startsWith("/"), "requires", "must be absolute: '" + p + "'"));
  }

  /** A template with the given name and limits and defaults for everything else. */
  public static TemplateSpec of(String name, ResourceLimits limits) {
    return new TemplateSpec(
        name, null, limits, Map.of(), Map.of(), EgressPolicy.NONE, null, null, 0, List.of());
  }

  public TemplateSpec withWarmPoolSize(int size) {
    return new TemplateSpec(
        name, isolation, limits, env, files, egress, idleTimeout, maxLifetime, size, requires);
  }

  public TemplateSpec withTimeouts(Duration idle, Duration lifetime) {
    return new TemplateSpec(
        name, isolation, limits, env, files, egress, idle, lifetime, warmPoolSize, requires);
  }

  /** This template with the given egress allowlist. */
  public TemplateSpec withEgress(EgressPolicy policy) {
    return new TemplateSpec(
        name,
        isolation,
        limits,
        env,
        files,
        policy,
        idleTimeout,
        maxLifetime,
        warmPoolSize,
        requires);
  }

  private static void requireRelative(String path) {
    boolean ok =
        !path.isEmpty()
            && !path.startsWith("/")
            && List.of(path.split("/")).stream()
                .noneMatch(s -> s.isEmpty() || s.equals("..") || s.equals("."));
    require(ok, "files", "'" + path + "' must be a relative path inside the workspace");
  }

  static void require(boolean ok, String field, String message) {
    if (!ok) {
      throw new IllegalArgumentException(field + " " + message);
    }
  }
}
