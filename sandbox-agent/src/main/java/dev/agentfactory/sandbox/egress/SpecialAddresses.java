package dev.agentfactory.sandbox.egress;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Optional;

/**
 * Addresses a wildcard rule never reaches: the host itself, its networks and cloud metadata. Only a
 * rule naming the exact host or IP literal may (see {@link EgressRule#explicit()}).
 */
final class SpecialAddresses {

  private SpecialAddresses() {}

  /** What kind of special address {@code a} is, or empty for an ordinary public address. */
  static Optional<String> kind(InetAddress a) {
    if (a.isAnyLocalAddress()) {
      return Optional.of("unspecified (reaches the host)");
    }
    if (a.isLoopbackAddress()) {
      return Optional.of("loopback");
    }
    if (a.isLinkLocalAddress()) {
      return Optional.of("link-local (cloud metadata lives here)");
    }
    if (a.isMulticastAddress()) {
      return Optional.of("multicast");
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      int b0 = b[0] & 0xff;
      int b1 = b[1] & 0xff;
      if (b0 == 10 || (b0 == 172 && b1 >= 16 && b1 <= 31) || (b0 == 192 && b1 == 168)) {
        return Optional.of("private");
      }
      if (b0 == 100 && b1 >= 64 && b1 <= 127) {
        return Optional.of("carrier-grade NAT");
      }
      if (b0 == 0 || b0 >= 240 || (b0 == 192 && b1 == 0 && (b[2] & 0xff) == 0)) {
        return Optional.of("reserved");
      }
      if (b0 == 198 && (b1 == 18 || b1 == 19)) {
        return Optional.of("benchmarking");
      }
      return Optional.empty();
    }
    if (a instanceof Inet6Address) {
      int b0 = b[0] & 0xff;
      if ((b0 & 0xfe) == 0xfc) {
        return Optional.of("unique local (private)");
      }
      if (a.isSiteLocalAddress()) {
        return Optional.of("site-local (private)");
      }
      boolean v4Compatible = true;
      for (int i = 0; i < 12; i++) {
        v4Compatible &= b[i] == 0;
      }
      if (v4Compatible) {
        return Optional.of("IPv4-compatible");
      }
      // IPv4-mapped (::ffff:a.b.c.d): a dual-stack socket connects to the IPv4 address, so it is
      // as special as that address. A resolver may hand one back as an Inet6Address (an AAAA
      // record), whose isLoopbackAddress() only knows ::1.
      boolean mapped = (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
      for (int i = 0; i < 10; i++) {
        mapped &= b[i] == 0;
      }
      if (mapped) {
        return embedded(b, 12).map(k -> "IPv4-mapped " + k);
      }
      // 6to4 (2002:a.b.c.d::/48) routes to the embedded IPv4 address through a relay
      if (b0 == 0x20 && (b[1] & 0xff) == 0x02) {
        return embedded(b, 2).map(k -> "6to4 of " + k);
      }
      // NAT64 (64:ff9b::/96) may translate to any IPv4 address, private ones included
      if (b0 == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
        return Optional.of("NAT64");
      }
    }
    return Optional.empty();
  }

  /** The kind of the IPv4 address at {@code offset} of {@code b}. */
  private static Optional<String> embedded(byte[] b, int offset) {
    try {
      return kind(
          InetAddress.getByAddress(
              new byte[] {b[offset], b[offset + 1], b[offset + 2], b[offset + 3]}));
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException("4 bytes are an IPv4 address", e);
    }
  }
}
