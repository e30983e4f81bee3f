package dev.agentfactory.sandbox.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * One entry of an egress allowlist: a host, the ports it may be reached on, and the HTTP methods
 * allowed for plain-HTTP requests to it.
 *
 * <ul>
 *   <li>{@code host}: an exact name ({@code api.example.com}), a wildcard ({@code *.example.com}
 *       matches {@code a.example.com} and {@code a.b.example.com}, not {@code example.com}), an IP
 *       literal ({@code 10.0.0.5}, {@code ::1}), or {@code *} (any host). Exact names and IP
 *       literals may reach loopback, private, link-local and metadata addresses because an operator
 *       named them; wildcards never do.
 *   <li>{@code ports}: defaults to {@link #DEFAULT_PORTS}.
 *   <li>{@code methods}: empty means any. Methods apply to plain-HTTP requests; HTTPS goes through
 *       a {@code CONNECT} tunnel whose content the proxy cannot see, so a rule with methods must
 *       list {@code CONNECT} to allow HTTPS to its host.
 * </ul>
 *
 * <pre>{@code
 * new EgressRule("*.pypi.org", List.of(443), Set.of("CONNECT"))
 * }</pre>
 */
public record EgressRule(String host, List<Integer> ports, Set<String> methods) {

  /** Ports a rule allows when it names none. */
  public static final List<Integer> DEFAULT_PORTS = List.of(80, 443);

  /** The host that matches every host. */
  public static final String ANY_HOST = "*";

  private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");
  private static final Pattern IPV4 =
      Pattern.compile(
          "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern METHOD = Pattern.compile("[A-Z][A-Z-]{0,31}");

  /**
   * @throws IllegalArgumentException naming the field ({@code host}, {@code ports}, {@code
   *     methods}) when the rule is not valid
   */
  public EgressRule {
    if (host == null) {
      throw new IllegalArgumentException("host must be set");
    }
    host = normalizeRuleHost(host);
    if (ports == null) {
      ports = DEFAULT_PORTS;
    }
    if (ports.isEmpty()) {
      throw new IllegalArgumentException(
          "ports must not be empty (omit it for " + DEFAULT_PORTS + ")");
    }
    for (int i = 0; i < ports.size(); i++) {
      Integer p = ports.get(i);
      if (p == null || p < 1 || p > 65535) {
        throw new IllegalArgumentException("ports[" + i + "] must be in [1, 65535], was " + p);
      }
    }
    ports = List.copyOf(new TreeSet<>(ports));
    Set<String> ms = new TreeSet<>();
    if (methods != null) {
      for (String m : methods) {
        String upper = m == null ? "" : m.toUpperCase(Locale.ROOT);
        if (!METHOD.matcher(upper).matches()) {
          throw new IllegalArgumentException("methods must be HTTP method names, was '" + m + "'");
        }
        ms.add(upper);
      }
    }
    methods = Set.copyOf(ms);
  }

  /** A rule for {@code host} on the default ports, any method. */
  public static EgressRule of(String host) {
    return new EgressRule(host, null, null);
  }

  /** A rule for {@code host} on one port with the given methods (none: any). */
  public static EgressRule of(String host, int port, String... methods) {
    return new EgressRule(host, List.of(port), Set.of(methods));
  }

  /** Whether the host is a pattern ({@code *} or {@code *.domain}) rather than one name. */
  public boolean wildcard() {
    return host.startsWith("*");
  }

  /**
   * Whether the rule names one host or address, so it may reach loopback, private and link-local
   * addresses (wildcards never do).
   */
  public boolean explicit() {
    return !wildcard();
  }

  /** Whether {@code requestHost} (normalized with {@link #normalizeRequestHost}) matches. */
  public boolean matchesHost(String requestHost) {
    if (host.equals(ANY_HOST)) {
      return true;
    }
    if (host.startsWith("*.")) {
      return !isIpLiteral(requestHost) && requestHost.endsWith(host.substring(1));
    }
    return host.equals(requestHost);
  }

  /** Whether the rule allows {@code method} (for a tunnel: {@code CONNECT}). */
  public boolean allowsMethod(String method) {
    return methods.isEmpty() || methods.contains(method);
  }

  /**
   * Whether everything {@code narrower} allows, this rule allows too: its host is the same or
   * within this one's pattern, its ports a subset, its methods a subset (or this one allows any).
   */
  public boolean covers(EgressRule narrower) {
    boolean hostCovered;
    if (host.equals(ANY_HOST)) {
      hostCovered = true;
    } else if (host.startsWith("*.")) {
      String suffix = host.substring(1);
      hostCovered =
          narrower.host.endsWith(suffix)
              && !narrower.host.equals(ANY_HOST)
              && !isIpLiteral(narrower.host);
    } else {
      hostCovered = host.equals(narrower.host);
    }
    return hostCovered
        && ports.containsAll(narrower.ports)
        && (methods.isEmpty()
            || (!narrower.methods.isEmpty() && methods.containsAll(narrower.methods)));
  }

  /**
   * The form a request's target host is matched in: lower case, without a trailing dot or IPv6
   * brackets, IP literals in Java's canonical text form.
   *
   * @throws IllegalArgumentException when it is not a host name or IP literal
   */
  public static String normalizeRequestHost(String host) {
    String h = strip(host);
    if (h.contains(":")) {
      return ipv6(h);
    }
    if (!IPV4.matcher(h).matches() && !isDnsName(h)) {
      throw new IllegalArgumentException("not a host name: '" + host + "'");
    }
    return h;
  }

  /** Whether a normalized host is an IP literal. */
  public static boolean isIpLiteral(String host) {
    return host.contains(":") || IPV4.matcher(host).matches();
  }

  private static String normalizeRuleHost(String raw) {
    String h = strip(raw);
    if (h.equals(ANY_HOST)) {
      return h;
    }
    if (h.startsWith("*.")) {
      String domain = h.substring(2);
      if (!isDnsName(domain) || !domain.contains(".") || IPV4.matcher(domain).matches()) {
        throw new IllegalArgumentException(
            "host '"
                + raw
                + "': a wildcard needs a domain of at least two labels, e.g. *.example.com");
      }
      return h;
    }
    if (h.contains("*")) {
      throw new IllegalArgumentException(
          "host '" + raw + "': '*' is allowed only as the whole host or as a leading '*.'");
    }
    if (h.contains(":")) {
      return ipv6(h);
    }
    if (!IPV4.matcher(h).matches() && !isDnsName(h)) {
      throw new IllegalArgumentException(
          "host '" + raw + "' must be a host name, '*.domain', an IP literal or '*'");
    }
    return h;
  }

  private static String strip(String host) {
    String h = host.strip().toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.endsWith(".") && h.length() > 1) {
      h = h.substring(0, h.length() - 1);
    }
    return h;
  }

  private static boolean isDnsName(String h) {
    if (h.isEmpty() || h.length() > 253) {
      return false;
    }
    for (String label : h.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
    }
    // all-numeric names are mistyped or abbreviated IPv4 addresses (127.1): not names
    return !h.matches("[0-9.]+");
  }

  private static String ipv6(String h) {
    if (!h.matches("[0-9a-f:.]+")) {
      throw new IllegalArgumentException("not an IPv6 literal: '" + h + "'");
    }
    try {
      // a string with ':' is parsed as a literal, never looked up
      return InetAddress.getByName(h).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IPv6 literal: '" + h + "'");
    }
  }

  @Override
  public String toString() {
    List<String> parts = new ArrayList<>(List.of(host, "ports=" + ports));
    if (!methods.isEmpty()) {
      parts.add("methods=" + methods);
    }
    return String.join(" ", parts);
  }
}
