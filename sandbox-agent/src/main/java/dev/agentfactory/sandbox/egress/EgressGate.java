package dev.agentfactory.sandbox.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy side of one sandbox's egress: its template's allowlist, the current lease's (narrower)
 * one, and the decision for each request. The decision uses the target from the request line and
 * addresses the proxy resolved itself: nothing the workload sends in headers counts, and the proxy
 * connects to exactly the addresses it checked, so a second DNS answer cannot rebind it.
 *
 * <p>Order: match host, port and method against the template's and the lease's rules (no DNS for
 * hosts not on the list, so lookups cannot leak data); resolve; refuse when any address is special
 * ({@link SpecialAddresses}) unless both policies allow the host by an explicit rule.
 */
public final class EgressGate {

  private static final Logger LOG = LoggerFactory.getLogger(EgressGate.class);

  /** Resolves a host name to addresses; {@code InetAddress::getAllByName} outside tests. */
  @FunctionalInterface
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  /** The outcome: a decision, and for allowed ones the addresses to connect to, in order. */
  public record Verdict(EgressDecision decision, List<InetAddress> addresses) {}

  private final String sandboxId;
  private final EgressPolicy template;
  private final Resolver resolver;
  private final Consumer<EgressDecision> sink;
  private volatile EgressPolicy lease;

  /**
   * @param sink receives every decision (the pool turns them into events); must not block
   */
  public EgressGate(
      String sandboxId, EgressPolicy template, Resolver resolver, Consumer<EgressDecision> sink) {
    this.sandboxId = sandboxId;
    this.template = template;
    this.resolver = resolver;
    this.sink = sink;
  }

  public String sandboxId() {
    return sandboxId;
  }

  /**
   * Sets the lease's policy (null: the template's alone). The caller has checked that the
   * template's covers it; both are enforced anyway.
   */
  public void lease(EgressPolicy policy) {
    this.lease = policy;
  }

  /** Decides on a request for {@code rawHost:port}, reports the decision, and returns it. */
  public Verdict decide(String method, String rawHost, int port) {
    Verdict verdict = evaluate(method, rawHost, port);
    report(verdict.decision());
    return verdict;
  }

  /** Reports a decision made before a target was known (a malformed request, a connection cap). */
  public void report(EgressDecision decision) {
    if (decision.allowed()) {
      LOG.info(
          "egress allowed: sandbox {} {} {}:{} -> {}",
          sandboxId,
          decision.method(),
          decision.host(),
          decision.port(),
          decision.address());
    } else {
      LOG.info(
          "egress denied: sandbox {} {} {}:{} ({}{})",
          sandboxId,
          decision.method(),
          decision.host(),
          decision.port(),
          decision.reason(),
          decision.address() == null ? "" : ", " + decision.address());
    }
    sink.accept(decision);
  }

  private Verdict evaluate(String method, String rawHost, int port) {
    String host;
    try {
      host = EgressRule.normalizeRequestHost(rawHost);
    } catch (IllegalArgumentException e) {
      return deny(method, rawHost, port, EgressDecision.BAD_REQUEST, null);
    }
    EgressPolicy leasePolicy = lease;
    EgressPolicy.Match byTemplate = template.match(host, port, method);
    EgressPolicy.Match byLease =
        leasePolicy == null ? byTemplate : leasePolicy.match(host, port, method);
    for (EgressPolicy.Match m : List.of(byTemplate, byLease)) {
      if (m == EgressPolicy.Match.NOT_LISTED) {
        return deny(method, host, port, EgressDecision.NOT_LISTED, null);
      }
      if (m == EgressPolicy.Match.METHOD_NOT_ALLOWED) {
        return deny(method, host, port, EgressDecision.METHOD_NOT_ALLOWED, null);
      }
    }
    boolean explicit =
        byTemplate == EgressPolicy.Match.ALLOWED_EXPLICIT
            && byLease == EgressPolicy.Match.ALLOWED_EXPLICIT;
    List<InetAddress> addresses;
    try {
      // an IP literal (it contains ':' or is dotted-quad) is parsed, never looked up
      addresses =
          EgressRule.isIpLiteral(host)
              ? List.of(InetAddress.getByName(host))
              : List.of(resolver.resolve(host));
    } catch (UnknownHostException | SecurityException e) {
      return deny(method, host, port, EgressDecision.UNRESOLVABLE, null);
    }
    if (addresses.isEmpty()) {
      return deny(method, host, port, EgressDecision.UNRESOLVABLE, null);
    }
    if (!explicit) {
      for (InetAddress a : addresses) {
        Optional<String> special = SpecialAddresses.kind(a);
        if (special.isPresent()) {
          return deny(method, host, port, EgressDecision.SPECIAL_ADDRESS, a.getHostAddress());
        }
      }
    }
    return new Verdict(
        new EgressDecision(
            method, host, port, true, EgressDecision.ALLOWED, addresses.get(0).getHostAddress()),
        addresses);
  }

  private static Verdict deny(String method, String host, int port, String reason, String address) {
    return new Verdict(EgressDecision.deny(method, host, port, reason, address), List.of());
  }
}
