package dev.agentfactory.cluster;

import java.util.regex.Pattern;

/**
 * One entry of a TCP-IP member list in the forms Hazelcast reads: {@code host}, {@code host:port},
 * a bare IPv6 address ({@code fd00::2}, no port) or {@code [IPv6]} with an optional {@code :port}.
 * An entry with more than one colon is an IPv6 address and must be a whole one: {@code garbage::}
 * is refused, not dialled.
 *
 * <pre>{@code
 * MemberAddress.parse("[fd00::2]:5701"); // host fd00::2, port 5701
 * }</pre>
 *
 * @param host a host name, IPv4 or IPv6 address (without brackets)
 * @param port the port, or -1 for Hazelcast's default
 */
record MemberAddress(String host, int port) {

  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9._-]+");
  private static final Pattern HEX_GROUP = Pattern.compile("[0-9A-Fa-f]{1,4}");
  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern ZONE = Pattern.compile("[A-Za-z0-9._-]+");

  /** The entry's host and port; throws {@link IllegalArgumentException} saying what is wrong. */
  static MemberAddress parse(String entry) {
    if (entry.startsWith("[")) {
      int close = entry.indexOf(']');
      if (close < 0 || !isIpv6(entry.substring(1, close))) {
        throw new IllegalArgumentException(
            "'" + entry + "' is not an IPv6 address in brackets, e.g. [fd00::2]:5701");
      }
      String rest = entry.substring(close + 1);
      if (!rest.isEmpty() && !rest.startsWith(":")) {
        throw new IllegalArgumentException(
            "'" + entry + "': only :port may follow the bracketed address");
      }
      return new MemberAddress(
          entry.substring(1, close), rest.isEmpty() ? -1 : port(entry, rest.substring(1)));
    }
    int colon = entry.indexOf(':');
    if (colon >= 0 && colon != entry.lastIndexOf(':')) {
      if (!isIpv6(entry)) {
        throw new IllegalArgumentException(
            "'"
                + entry
                + "' is not a host, host:port or IPv6 address (write an IPv6 address with a port"
                + " as [address]:port)");
      }
      return new MemberAddress(entry, -1);
    }
    String host = colon < 0 ? entry : entry.substring(0, colon);
    if (!HOST_NAME.matcher(host).matches()) {
      throw new IllegalArgumentException(
          "'" + entry + "': the host must be a name or an address, e.g. node-2:5701");
    }
    return new MemberAddress(host, colon < 0 ? -1 : port(entry, entry.substring(colon + 1)));
  }

  private static int port(String entry, String text) {
    if (text.contains("-")) {
      throw new IllegalArgumentException(
          "'" + entry + "': port ranges are not accepted by Hazelcast, list one port per entry");
    }
    int port;
    try {
      port = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + entry + "': the port must be a number");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("'" + entry + "': the port must be in 1..65535");
    }
    return port;
  }

  /** Whether {@code text} is an IPv6 address in RFC 4291 text form, with an optional zone. */
  static boolean isIpv6(String text) {
    int percent = text.indexOf('%');
    if (percent >= 0 && !ZONE.matcher(text.substring(percent + 1)).matches()) {
      return false;
    }
    String address = percent < 0 ? text : text.substring(0, percent);
    int gap = address.indexOf("::");
    if (gap < 0) {
      return groups(address, true) == 8;
    }
    if (address.indexOf("::", gap + 1) >= 0) {
      return false; // at most one "::"
    }
    int before = groups(address.substring(0, gap), false);
    int after = groups(address.substring(gap + 2), true);
    return before >= 0 && after >= 0 && before + after <= 7;
  }

  /**
   * How many 16-bit groups a colon-separated run holds (an IPv4 tail, allowed only at the very end,
   * counts two); 0 for an empty run, -1 if it is malformed.
   */
  private static int groups(String run, boolean atEnd) {
    if (run.isEmpty()) {
      return 0;
    }
    String[] parts = run.split(":", -1);
    int groups = 0;
    for (int i = 0; i < parts.length; i++) {
      if (atEnd && i == parts.length - 1 && IPV4.matcher(parts[i]).matches()) {
        groups += 2;
      } else if (HEX_GROUP.matcher(parts[i]).matches()) {
        groups++;
      } else {
        return -1;
      }
    }
    return groups;
  }
}
