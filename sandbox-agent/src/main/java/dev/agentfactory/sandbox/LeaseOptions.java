package dev.agentfactory.sandbox;

import dev.agentfactory.sandbox.egress.EgressPolicy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Claim-time customisation of a leased sandbox, applied to a warm sandbox without a cold start.
 *
 * <pre>{@code
 * LeaseOptions options =
 *     LeaseOptions.NONE
 *         .withEnv(Map.of("TASK_ID", "42"))
 *         .withFiles(Map.of("task/input.json", "{}"))
 *         .withEgress(EgressPolicy.of(EgressRule.of("pypi.org", 443, "CONNECT")));
 * Sandbox sandbox = pool.lease("python", options).toCompletableFuture().join();
 * }</pre>
 *
 * @param env environment variables every command of the lease gets by default; an {@link
 *     ExecRequest}'s own env wins over them
 * @param files files written into the workspace before the sandbox is handed over, by relative path
 *     (UTF-8 content), owned by the sandbox's uid
 * @param egress the lease's egress policy, which must be narrower than the template's (else the
 *     lease fails with {@link InvalidLeaseException#EGRESS_WIDENED}); null keeps the template's
 * @throws InvalidLeaseException naming the field when an env name or file path is not valid
 */
public record LeaseOptions(
    Map<String, String> env, Map<String, String> files, EgressPolicy egress) {

  /** No customisation: the template as it is. */
  public static final LeaseOptions NONE = new LeaseOptions(Map.of(), Map.of(), null);

  private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  public LeaseOptions {
    env = env == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(env));
    files = files == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(files));
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (!ENV_KEY.matcher(e.getKey()).matches()) {
        throw new InvalidLeaseException(
            InvalidLeaseException.INVALID, "env['" + e.getKey() + "']", "is not a variable name");
      }
      if (e.getValue().indexOf('\0') >= 0) {
        throw new InvalidLeaseException(
            InvalidLeaseException.INVALID, "env['" + e.getKey() + "']", "must not contain NUL");
      }
    }
    for (String path : files.keySet()) {
      if (!isRelativeInside(path)) {
        throw new InvalidLeaseException(
            InvalidLeaseException.INVALID,
            "files['" + path + "']",
            "must be a relative path inside the workspace (no '..', '.', empty or absolute parts)");
      }
    }
  }

  public LeaseOptions withEnv(Map<String, String> env) {
    return new LeaseOptions(env, files, egress);
  }

  public LeaseOptions withFiles(Map<String, String> files) {
    return new LeaseOptions(env, files, egress);
  }

  public LeaseOptions withEgress(EgressPolicy egress) {
    return new LeaseOptions(env, files, egress);
  }

  /** Whether these options change nothing. */
  public boolean isEmpty() {
    return env.isEmpty() && files.isEmpty() && egress == null;
  }

  /** A path of plain names separated by single slashes: it cannot leave the directory it is in. */
  static boolean isRelativeInside(String path) {
    return !path.isEmpty()
        && !path.startsWith("/")
        && path.indexOf('\0') < 0
        && List.of(path.split("/", -1)).stream()
            .noneMatch(s -> s.isEmpty() || s.equals("..") || s.equals("."));
  }
}
