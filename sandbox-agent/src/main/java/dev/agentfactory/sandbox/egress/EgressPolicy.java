package dev.agentfactory.sandbox.egress;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An egress allowlist: a request leaves the sandbox only when a rule allows its host, port and
 * method. {@link #NONE} (no rules) is the default: no network at all, and no proxy is started.
 *
 * <p>A lease may bring its own policy, which must be {@linkplain #narrowest narrower} than its
 * template's: every lease rule must be covered by a template rule. Both are then enforced, so an
 * exact-host lease rule under a template wildcard still cannot reach a private address.
 *
 * <pre>{@code
 * EgressPolicy policy = EgressPolicy.of(EgressRule.of("pypi.org", 443, "CONNECT"));
 * }</pre>
 */
public record EgressPolicy(List<EgressRule> rules) {

  /** No egress at all. */
  public static final EgressPolicy NONE = new EgressPolicy(List.of());

  public EgressPolicy {
    rules = List.copyOf(Objects.requireNonNull(rules, "rules"));
  }

  public static EgressPolicy of(EgressRule... rules) {
    return new EgressPolicy(Arrays.asList(rules));
  }

  /** Whether the policy allows nothing (the sandbox gets no proxy when its template's is none). */
  public boolean isNone() {
    return rules.isEmpty();
  }

  /**
   * The index of the first rule of {@code narrower} that no rule of this policy covers; empty when
   * {@code narrower} allows nothing this policy does not.
   */
  public Optional<Integer> firstUncovered(EgressPolicy narrower) {
    for (int i = 0; i < narrower.rules.size(); i++) {
      EgressRule candidate = narrower.rules.get(i);
      if (rules.stream().noneMatch(r -> r.covers(candidate))) {
        return Optional.of(i);
      }
    }
    return Optional.empty();
  }

  /** How a request's host, port and method fare against this policy, before any DNS lookup. */
  public Match match(String host, int port, String method) {
    boolean hostPort = false;
    boolean explicit = false;
    boolean allowed = false;
    for (EgressRule rule : rules) {
      if (rule.matchesHost(host) && rule.ports().contains(port)) {
        hostPort = true;
        if (rule.allowsMethod(method)) {
          allowed = true;
          explicit |= rule.explicit();
        }
      }
    }
    if (allowed) {
      return explicit ? Match.ALLOWED_EXPLICIT : Match.ALLOWED;
    }
    return hostPort ? Match.METHOD_NOT_ALLOWED : Match.NOT_LISTED;
  }

  /** The outcome of {@link #match}. */
  public enum Match {
    /** No rule names this host and port. */
    NOT_LISTED,
    /** A rule names host and port, but none allows the method. */
    METHOD_NOT_ALLOWED,
    /** Allowed by wildcard rules only: public addresses only. */
    ALLOWED,
    /** Allowed by a rule naming this very host or address: special addresses too. */
    ALLOWED_EXPLICIT;

    public boolean allowed() {
      return this == ALLOWED || this == ALLOWED_EXPLICIT;
    }
  }
}
