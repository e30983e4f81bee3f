package dev.agentfactory.sandbox.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Decisions against a fixed resolver (no real DNS): addresses, not names, decide at the end. */
class EgressGateTest {

  private final List<String> lookups = new ArrayList<>();
  private final List<EgressDecision> reported = new ArrayList<>();
  private final Map<String, String> dns =
      Map.of(
          "pkg.example.com", "93.184.216.34",
          "internal.example.com", "10.1.2.3",
          "meta.example.com", "169.254.169.254",
          "rebind.example.com", "127.0.0.1",
          "db.corp.test", "10.9.9.9");

  private EgressGate gate(EgressPolicy template) {
    return new EgressGate("sbx-1", template, this::resolve, reported::add);
  }

  private InetAddress[] resolve(String host) throws UnknownHostException {
    lookups.add(host);
    String ip = dns.get(host);
    if (ip == null) {
      throw new UnknownHostException(host);
    }
    return new InetAddress[] {InetAddress.getByName(ip)};
  }

  private static final EgressPolicy TEMPLATE =
      EgressPolicy.of(
          EgressRule.of("*.example.com", 443, "CONNECT"),
          EgressRule.of("db.corp.test", 5432),
          EgressRule.of("127.0.0.1", 8080, "GET"));

  @Test
  void allowedHostConnectsToTheAddressThatWasChecked() {
    EgressGate.Verdict v = gate(TEMPLATE).decide("CONNECT", "pkg.example.com", 443);

    assertThat(v.decision().allowed()).isTrue();
    assertThat(v.decision().address()).isEqualTo("93.184.216.34");
    assertThat(v.addresses())
        .extracting(InetAddress::getHostAddress)
        .containsExactly("93.184.216.34");
    assertThat(reported).containsExactly(v.decision());
  }

  @Test
  void wildcardNeverReachesPrivateLoopbackOrMetadataAddresses() {
    EgressGate gate = gate(TEMPLATE);

    for (String host : List.of("internal.example.com", "meta.example.com", "rebind.example.com")) {
      EgressDecision d = gate.decide("CONNECT", host, 443).decision();
      assertThat(d.allowed()).as(host).isFalse();
      assertThat(d.reason()).isEqualTo(EgressDecision.SPECIAL_ADDRESS);
    }
  }

  @Test
  void wildcardNeverReachesIpv4AddressesHiddenInIpv6Forms() throws Exception {
    // AAAA answers as the resolver returns them: Inet6Address, not converted to IPv4
    Map<String, byte[]> aaaa =
        Map.of(
            "mapped-meta.example.com", v6("::ffff:169.254.169.254"),
            "mapped-loop.example.com", v6("::ffff:127.0.0.1"),
            "mapped-private.example.com", v6("::ffff:10.1.2.3"),
            "sixtofour.example.com", v6("2002:7f00:1::1"));
    EgressGate gate =
        new EgressGate(
            "sbx-1",
            TEMPLATE,
            host ->
                new InetAddress[] {java.net.Inet6Address.getByAddress(host, aaaa.get(host), -1)},
            reported::add);
    for (String host : aaaa.keySet()) {
      EgressDecision d = gate.decide("CONNECT", host, 443).decision();
      assertThat(d.allowed()).as(host).isFalse();
      assertThat(d.reason()).as(host).isEqualTo(EgressDecision.SPECIAL_ADDRESS);
    }
    // a public IPv4 address stays reachable in its mapped form
    EgressGate publicGate =
        new EgressGate(
            "sbx-1",
            TEMPLATE,
            host ->
                new InetAddress[] {
                  java.net.Inet6Address.getByAddress(host, v6("::ffff:93.184.216.34"), -1)
                },
            reported::add);
    assertThat(publicGate.decide("CONNECT", "pkg.example.com", 443).decision().allowed()).isTrue();
  }

  /** The 16 bytes of an IPv6 literal (the JDK turns a mapped one into IPv4, so copy the bytes). */
  private static byte[] v6(String literal) throws UnknownHostException {
    byte[] b = InetAddress.getByName(literal).getAddress();
    if (b.length == 16) {
      return b;
    }
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    System.arraycopy(b, 0, mapped, 12, 4);
    return mapped;
  }

  @Test
  void explicitlyNamedHostsAndLiteralsMayBePrivate() {
    EgressGate gate = gate(TEMPLATE);

    assertThat(gate.decide("CONNECT", "db.corp.test", 5432).decision().allowed()).isTrue();
    assertThat(gate.decide("GET", "127.0.0.1", 8080).decision().allowed()).isTrue();
    assertThat(gate.decide("GET", "[::ffff:127.0.0.1]", 8080).decision().allowed()).isTrue();
    assertThat(gate.decide("GET", "localhost", 8080).decision().reason())
        .isEqualTo(EgressDecision.NOT_LISTED);
  }

  @Test
  void hostsNotOnTheListAreNeverLookedUp() {
    EgressGate gate = gate(TEMPLATE);

    EgressDecision d = gate.decide("CONNECT", "secret-data.attacker.test", 443).decision();

    assertThat(d.reason()).isEqualTo(EgressDecision.NOT_LISTED);
    assertThat(lookups).isEmpty();
  }

  @Test
  void leasePolicyNarrowsAndKeepsTheTemplatesAddressRules() {
    EgressGate gate = gate(TEMPLATE);
    // an exact lease rule under a template wildcard: still no private addresses
    gate.lease(
        EgressPolicy.of(
            EgressRule.of("internal.example.com", 443, "CONNECT"),
            EgressRule.of("pkg.example.com", 443, "CONNECT")));

    assertThat(gate.decide("CONNECT", "internal.example.com", 443).decision().reason())
        .isEqualTo(EgressDecision.SPECIAL_ADDRESS);
    assertThat(gate.decide("CONNECT", "pkg.example.com", 443).decision().allowed()).isTrue();
    assertThat(gate.decide("CONNECT", "other.example.com", 443).decision().reason())
        .isEqualTo(EgressDecision.NOT_LISTED);
    assertThat(gate.decide("GET", "127.0.0.1", 8080).decision().reason())
        .isEqualTo(EgressDecision.NOT_LISTED);

    gate.lease(null);
    assertThat(gate.decide("GET", "127.0.0.1", 8080).decision().allowed()).isTrue();
  }

  @Test
  void unresolvableAndMalformedHostsAreDenied() {
    EgressGate gate = gate(EgressPolicy.of(EgressRule.of("*.example.com", 443)));

    assertThat(gate.decide("CONNECT", "nx.example.com", 443).decision().reason())
        .isEqualTo(EgressDecision.UNRESOLVABLE);
    assertThat(gate.decide("CONNECT", "bad host", 443).decision().reason())
        .isEqualTo(EgressDecision.BAD_REQUEST);
  }
}
