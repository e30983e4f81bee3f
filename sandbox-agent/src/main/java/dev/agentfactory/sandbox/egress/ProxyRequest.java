package dev.agentfactory.sandbox.egress;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The head of a request to the proxy: {@code CONNECT host:port} (an HTTPS tunnel) or a plain-HTTP
 * request in absolute form ({@code GET http://host[:port]/path}). The target comes from the request
 * line only; the {@code Host} header is replaced by it when the request is forwarded.
 *
 * @param method the method, upper case
 * @param host the target host as written (IPv6 without brackets), not yet normalized
 * @param port the target port
 * @param path origin-form path and query to forward; empty for CONNECT
 * @param version {@code HTTP/1.0} or {@code HTTP/1.1}
 * @param headers the header lines as {@code [name, value]}, in order
 */
record ProxyRequest(
    String method, String host, int port, String path, String version, List<String[]> headers) {

  private static final Pattern REQUEST_LINE =
      Pattern.compile("([A-Z][A-Z-]{0,31}) (\\S+) (HTTP/1\\.[01])");
  private static final Pattern AUTHORITY =
      Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[^:\\[\\]@]+)(?::(\\d{1,5}))?");
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  /** Headers that belong to one connection, not to the request (RFC 9110 §7.6.1). */
  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "host",
          "connection",
          "proxy-connection",
          "keep-alive",
          "proxy-authorization",
          "proxy-authenticate",
          "te",
          "trailer",
          "upgrade");

  /** A request the proxy will not handle; the message says why. */
  static final class BadRequest extends Exception {
    BadRequest(String message) {
      super(message);
    }
  }

  boolean connect() {
    return method.equals("CONNECT");
  }

  static ProxyRequest parse(String head) throws BadRequest {
    String[] lines = head.split("\n", -1);
    Matcher line = REQUEST_LINE.matcher(stripCr(lines[0]));
    if (!line.matches()) {
      throw new BadRequest("not an HTTP/1.x request line");
    }
    String method = line.group(1);
    String target = line.group(2);
    List<String[]> headers = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      String h = stripCr(lines[i]);
      if (h.isEmpty()) {
        continue;
      }
      if (h.startsWith(" ") || h.startsWith("\t")) {
        throw new BadRequest("folded header lines are not accepted");
      }
      int colon = h.indexOf(':');
      if (colon <= 0 || !HEADER_NAME.matcher(h.substring(0, colon)).matches()) {
        throw new BadRequest("malformed header line");
      }
      headers.add(new String[] {h.substring(0, colon), h.substring(colon + 1).strip()});
    }
    if (method.equals("CONNECT")) {
      Matcher a = AUTHORITY.matcher(target);
      if (!a.matches() || a.group(2) == null) {
        throw new BadRequest("CONNECT needs host:port");
      }
      return new ProxyRequest(
          method, unbracket(a.group(1)), port(a.group(2)), "", line.group(3), headers);
    }
    String lower = target.toLowerCase(Locale.ROOT);
    if (lower.startsWith("https://")) {
      throw new BadRequest("HTTPS goes through a CONNECT tunnel, not an absolute https:// URI");
    }
    if (!lower.startsWith("http://")) {
      throw new BadRequest("a proxy request needs an absolute http:// URI or CONNECT");
    }
    String rest = target.substring("http://".length());
    int end = 0;
    while (end < rest.length() && "/?#".indexOf(rest.charAt(end)) < 0) {
      end++;
    }
    Matcher a = AUTHORITY.matcher(rest.substring(0, end));
    if (!a.matches()) {
      throw new BadRequest("malformed authority (user info is not accepted)");
    }
    String path = rest.substring(end);
    int hash = path.indexOf('#');
    if (hash >= 0) {
      path = path.substring(0, hash);
    }
    if (!path.startsWith("/")) {
      path = "/" + path;
    }
    int port = a.group(2) == null ? 80 : port(a.group(2));
    return new ProxyRequest(method, unbracket(a.group(1)), port, path, line.group(3), headers);
  }

  /** The value of a header, or null; several different values are refused. */
  String header(String name) throws BadRequest {
    String value = null;
    for (String[] h : headers) {
      if (h[0].equalsIgnoreCase(name)) {
        if (value != null && !value.equals(h[1])) {
          throw new BadRequest("conflicting " + name + " headers");
        }
        value = h[1];
      }
    }
    return value;
  }

  /**
   * The head to send upstream: origin-form request line, {@code Host} from the request line,
   * hop-by-hop headers dropped, {@code Connection: close} (one request per connection, so a second
   * pipelined request can never skip the method check).
   */
  String forwardedHead() throws BadRequest {
    Set<String> dropped = new java.util.HashSet<>(HOP_BY_HOP);
    String connection = header("connection");
    if (connection != null) {
      for (String token : connection.split(",")) {
        dropped.add(token.strip().toLowerCase(Locale.ROOT));
      }
    }
    dropped.remove("transfer-encoding");
    dropped.remove("content-length");
    StringBuilder out = new StringBuilder();
    out.append(method).append(' ').append(path).append(' ').append(version).append("\r\n");
    String hostPart = host.contains(":") ? "[" + host + "]" : host;
    out.append("Host: ").append(hostPart).append(port == 80 ? "" : ":" + port).append("\r\n");
    for (String[] h : headers) {
      if (!dropped.contains(h[0].toLowerCase(Locale.ROOT))) {
        out.append(h[0]).append(": ").append(h[1]).append("\r\n");
      }
    }
    out.append("Connection: close\r\n\r\n");
    return out.toString();
  }

  private static int port(String digits) throws BadRequest {
    int p = Integer.parseInt(digits);
    if (p < 1 || p > 65535) {
      throw new BadRequest("port out of range");
    }
    return p;
  }

  private static String unbracket(String host) {
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }

  private static String stripCr(String s) {
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }
}
