package dev.agentfactory.edge.model;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Which secrets agent specs may name, and where those secrets may be sent (option {@code
 * agents.secrets}). An agent's {@code model.api_key} is resolved on the node and sent as a bearer
 * token to the spec's {@code model.base_url}; both are written by the tenant. Without this policy
 * any tenant could name {@code env:AF_ADMIN_KEY} or the session store's key file and point the base
 * URL at its own server.
 *
 * <p>The policy is a comma-separated list of rules {@code REFERENCE[@URL]}:
 *
 * <ul>
 *   <li>{@code env:OPENAI_API_KEY} one variable, {@code env:AF_AGENT_KEY_*} every variable with
 *       that prefix;
 *   <li>{@code file:/run/secrets/openai} one file, {@code file:/run/secrets/agents/{tenant}/*}
 *       every file under a directory; {@code {tenant}} stands for the calling tenant, so each
 *       tenant reaches only its own directory. A path with {@code .} or {@code ..} segments never
 *       matches;
 *   <li>{@code @https://api.openai.com} (optional) restricts the rule to base URLs under that URL:
 *       same scheme, host and port, and a path below the rule's path.
 * </ul>
 *
 * <p>An empty policy allows no secret (agents of servers without auth still work). The default,
 * {@value #DEFAULT}, lets agents use the node's OpenAI key with OpenAI only.
 */
public final class SecretPolicy {

  /** The default rules. */
  public static final String DEFAULT = "env:OPENAI_API_KEY@https://api.openai.com";

  private static final String TENANT = "{tenant}";

  /** One rule: a reference pattern, and the URL its secrets may go to (null: any). */
  private record Rule(SecretRef.Kind kind, String pattern, boolean prefix, URI url) {

    boolean matches(String tenant, SecretRef ref, URI baseUrl) {
      if (ref.kind() != kind) {
        return false;
      }
      String name = ref.name();
      if (kind == SecretRef.Kind.FILE && !Path.of(name).normalize().toString().equals(name)) {
        return false;
      }
      String expected = pattern.replace(TENANT, tenant);
      boolean named =
          prefix
              ? name.startsWith(expected) && name.length() > expected.length()
              : name.equals(expected);
      return named && (url == null || under(baseUrl, url));
    }

    @Override
    public String toString() {
      return kind.name().toLowerCase(Locale.ROOT)
          + ":"
          + pattern
          + (prefix ? "*" : "")
          + (url == null ? "" : "@" + url);
    }
  }

  private final List<Rule> rules;

  private SecretPolicy(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** The {@link #DEFAULT} rules. */
  public static SecretPolicy defaults() {
    return parse(DEFAULT);
  }

  /**
   * Parses a comma-separated list of rules.
   *
   * @throws IllegalArgumentException naming the rule that is not {@code env:NAME[*][@URL]} or
   *     {@code file:/path[*][@URL]}
   */
  public static SecretPolicy parse(String text) {
    List<Rule> rules = new ArrayList<>();
    for (String part : Objects.requireNonNull(text, "text").split(",")) {
      String rule = part.strip();
      if (!rule.isEmpty()) {
        rules.add(rule(rule));
      }
    }
    return new SecretPolicy(rules);
  }

  private static Rule rule(String text) {
    int at = text.indexOf('@');
    String ref = at < 0 ? text : text.substring(0, at);
    URI url = at < 0 ? null : url(text, text.substring(at + 1));
    boolean prefix = ref.endsWith("*");
    String pattern = prefix ? ref.substring(0, ref.length() - 1) : ref;
    if (pattern.contains("*")) {
      throw bad(text, "'*' may only end the reference");
    }
    SecretRef.Kind kind;
    String name;
    if (pattern.startsWith("env:")) {
      kind = SecretRef.Kind.ENV;
      name = pattern.substring(4);
      if (name.contains(TENANT)) {
        throw bad(text, "{tenant} is for file rules");
      }
      if (!name.matches("[A-Za-z_][A-Za-z0-9_]*") && !(prefix && name.isEmpty())) {
        throw bad(text, "env: needs a variable name or prefix");
      }
    } else if (pattern.startsWith("file:")) {
      kind = SecretRef.Kind.FILE;
      name = pattern.substring(5);
      String probe = name.replace(TENANT, "t");
      if (!probe.startsWith("/")
          || !(Path.of(probe).normalize() + (probe.endsWith("/") ? "/" : "")).equals(probe)) {
        throw bad(text, "file: needs an absolute path without . or .. segments");
      }
      if (prefix && !name.endsWith("/")) {
        throw bad(text, "a file rule with '*' must end in '/*' (a whole directory)");
      }
    } else {
      throw bad(text, "a rule is env:NAME or file:/path, optionally ending in '*' and '@URL'");
    }
    return new Rule(kind, name, prefix, url);
  }

  private static URI url(String rule, String text) {
    try {
      URI url = new URI(text);
      String scheme = url.getScheme();
      if (!("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))
          || url.getHost() == null
          || url.getRawQuery() != null
          || url.getRawUserInfo() != null) {
        throw bad(rule, "the part after '@' must be an http(s) URL without query or credentials");
      }
      return url;
    } catch (URISyntaxException e) {
      throw bad(rule, "the part after '@' is not a URL: " + e.getMessage());
    }
  }

  private static IllegalArgumentException bad(String rule, String why) {
    return new IllegalArgumentException("secret rule '" + rule + "': " + why);
  }

  /** True when {@code base} is {@code root} or below it. */
  static boolean under(URI base, URI root) {
    if (!base.getScheme().equalsIgnoreCase(root.getScheme())
        || !base.getHost().equalsIgnoreCase(root.getHost())
        || port(base) != port(root)) {
      return false;
    }
    String path = slash(base.getPath());
    return path.startsWith(slash(root.getPath()));
  }

  private static String slash(String path) {
    if (path == null || path.isEmpty()) {
      return "/";
    }
    return path.endsWith("/") ? path : path + "/";
  }

  private static int port(URI url) {
    if (url.getPort() >= 0) {
      return url.getPort();
    }
    return "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
  }

  /**
   * True when an agent of {@code tenant} may send the secret {@code ref} to {@code baseUrl}: some
   * rule names the reference and admits the URL.
   */
  public boolean allows(String tenant, SecretRef ref, URI baseUrl) {
    for (Rule rule : rules) {
      if (rule.matches(tenant, ref, baseUrl)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Why {@link #allows} said no, for error messages: the reference and URL, and the rules (names of
   * variables and paths, never values).
   */
  public String refusal(SecretRef ref, URI baseUrl) {
    return "secret "
        + ref
        + " may not be sent to "
        + baseUrl
        + " by agents on this node (agents.secrets: "
        + (rules.isEmpty() ? "no secret is allowed" : toString())
        + ")";
  }

  @Override
  public String toString() {
    return String.join(",", rules.stream().map(Rule::toString).toList());
  }
}
