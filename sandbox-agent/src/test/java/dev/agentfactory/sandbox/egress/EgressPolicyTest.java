package dev.agentfactory.sandbox.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.sandbox.template.InvalidTemplateException;
import dev.agentfactory.sandbox.template.TemplateParser;
import dev.agentfactory.sandbox.template.TemplateSpec;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EgressPolicyTest {

  private static final EgressPolicy TEMPLATE =
      EgressPolicy.of(
          new EgressRule("*.example.com", List.of(443), Set.of("CONNECT")),
          new EgressRule("api.test.org", List.of(80, 443), null),
          EgressRule.of("10.0.0.5", 8080, "GET", "HEAD"));

  @Test
  void wildcardMatchesSubdomainsButNotTheDomainItselfOrLookalikes() {
    EgressRule rule = EgressRule.of("*.example.com");

    assertThat(rule.matchesHost("a.example.com")).isTrue();
    assertThat(rule.matchesHost("a.b.example.com")).isTrue();
    assertThat(rule.matchesHost("example.com")).isFalse();
    assertThat(rule.matchesHost("badexample.com")).isFalse();
    assertThat(rule.matchesHost("example.com.evil.net")).isFalse();
  }

  @Test
  void hostsAreNormalizedBeforeMatching() {
    assertThat(EgressRule.normalizeRequestHost("API.Test.ORG.")).isEqualTo("api.test.org");
    assertThat(EgressRule.normalizeRequestHost("[::1]")).isEqualTo("0:0:0:0:0:0:0:1");
    assertThat(EgressRule.normalizeRequestHost("::ffff:127.0.0.1")).isEqualTo("127.0.0.1");
    assertThat(EgressRule.of("[::1]").host()).isEqualTo("0:0:0:0:0:0:0:1");
    assertThatThrownBy(() -> EgressRule.normalizeRequestHost("a b"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void matchSaysWhyARequestIsRefused() {
    assertThat(TEMPLATE.match("a.example.com", 443, "CONNECT"))
        .isEqualTo(EgressPolicy.Match.ALLOWED);
    assertThat(TEMPLATE.match("a.example.com", 443, "GET"))
        .isEqualTo(EgressPolicy.Match.METHOD_NOT_ALLOWED);
    assertThat(TEMPLATE.match("a.example.com", 80, "CONNECT"))
        .isEqualTo(EgressPolicy.Match.NOT_LISTED);
    assertThat(TEMPLATE.match("api.test.org", 80, "DELETE"))
        .isEqualTo(EgressPolicy.Match.ALLOWED_EXPLICIT);
    assertThat(TEMPLATE.match("10.0.0.5", 8080, "GET"))
        .isEqualTo(EgressPolicy.Match.ALLOWED_EXPLICIT);
    assertThat(TEMPLATE.match("10.0.0.6", 8080, "GET")).isEqualTo(EgressPolicy.Match.NOT_LISTED);
    assertThat(EgressPolicy.NONE.match("a.example.com", 443, "CONNECT"))
        .isEqualTo(EgressPolicy.Match.NOT_LISTED);
  }

  @Test
  void narrowerPoliciesAreCovered() {
    EgressPolicy lease =
        EgressPolicy.of(
            EgressRule.of("pkg.example.com", 443, "CONNECT"),
            EgressRule.of("*.sub.example.com", 443, "CONNECT"),
            EgressRule.of("api.test.org", 443, "GET"),
            EgressRule.of("10.0.0.5", 8080, "GET"));

    assertThat(TEMPLATE.firstUncovered(lease)).isEmpty();
    assertThat(TEMPLATE.firstUncovered(EgressPolicy.NONE)).isEmpty();
  }

  @Test
  void widerRulesAreNotCovered() {
    List<EgressRule> wider =
        List.of(
            EgressRule.of("example.com", 443, "CONNECT"), // the domain itself
            EgressRule.of("*.example.com", 443), // any method
            EgressRule.of("a.example.com", 8443, "CONNECT"), // another port
            EgressRule.of("*", 443, "CONNECT"),
            EgressRule.of("10.0.0.5", 8080, "POST"),
            EgressRule.of("10.0.0.0", 8080, "GET"));
    for (EgressRule rule : wider) {
      assertThat(TEMPLATE.firstUncovered(EgressPolicy.of(EgressRule.of("api.test.org", 80), rule)))
          .as(rule.toString())
          .hasValue(1);
    }
    assertThat(EgressPolicy.NONE.firstUncovered(EgressPolicy.of(EgressRule.of("a.b.c"))))
        .hasValue(0);
  }

  @Test
  void anyHostCoversEverythingButIsStillAWildcard() {
    EgressRule any = new EgressRule("*", List.of(443), null);

    assertThat(any.covers(EgressRule.of("10.1.2.3", 443))).isTrue();
    assertThat(any.covers(EgressRule.of("*.example.com", 443, "CONNECT"))).isTrue();
    assertThat(any.explicit()).isFalse();
  }

  @Test
  void invalidRulesNameTheirField() {
    assertThatThrownBy(() -> EgressRule.of("exa*mple.com"))
        .hasMessageStartingWith("host 'exa*mple.com'");
    assertThatThrownBy(() -> EgressRule.of("*.com")).hasMessageStartingWith("host '*.com'");
    assertThatThrownBy(() -> new EgressRule("a.com", List.of(443, 70000), null))
        .hasMessageStartingWith("ports[1] must be in [1, 65535]");
    assertThatThrownBy(() -> new EgressRule("a.com", List.of(), null))
        .hasMessageStartingWith("ports must not be empty");
    assertThatThrownBy(() -> new EgressRule("a.com", null, Set.of("GET /")))
        .hasMessageStartingWith("methods must be HTTP method names");
    assertThatThrownBy(() -> EgressRule.of("127.1")).hasMessageStartingWith("host '127.1'");
  }

  @Test
  void templateJsonParsesIntoAPolicyAndErrorsNameTheField() throws Exception {
    TemplateSpec t =
        TemplateParser.parse(
            """
            {"name": "web", "network": {"egress": [
              {"host": "*.pypi.org", "ports": [443], "methods": ["connect"]},
              {"host": "example.com"}]}}
            """);

    assertThat(t.egress().rules())
        .containsExactly(
            new EgressRule("*.pypi.org", List.of(443), Set.of("CONNECT")),
            new EgressRule("example.com", List.of(80, 443), Set.of()));
    assertThat(TemplateParser.parse("{\"name\": \"x\"}").egress()).isEqualTo(EgressPolicy.NONE);
    assertThatThrownBy(
            () ->
                TemplateParser.parse(
                    "{\"name\": \"x\", \"network\": {\"egress\": [{\"host\": \"a.com\"}, {\"ports\": [1]}]}}"))
        .isInstanceOf(InvalidTemplateException.class)
        .hasMessage("template 'x': network.egress[1].host must be set (a string)");
    assertThatThrownBy(
            () ->
                TemplateParser.parse(
                    "{\"name\": \"x\", \"network\": {\"egress\": [{\"host\": \"a.com\", \"ports\": [\"443\"]}]}}"))
        .hasMessage("template 'x': network.egress[0].ports[0] must be an integer");
    assertThatThrownBy(
            () ->
                TemplateParser.parse(
                    "{\"name\": \"x\", \"network\": {\"egress\": [{\"host\": \"*\", \"port\": 1}]}}"))
        .hasMessage("template 'x': network.egress[0].port is not a known field");
    assertThatThrownBy(
            () ->
                TemplateParser.parse(
                    "{\"name\": \"x\", \"network\": {\"egress\": [{\"host\": \"a..com\"}]}}"))
        .hasMessageStartingWith("template 'x': network.egress[0].host 'a..com'");
    assertThatThrownBy(
            () ->
                TemplateParser.parse(
                    "{\"name\": \"x\", \"network\": {\"policy\": \"none\", \"egress\": []}}"))
        .hasMessage("template 'x': network.egress contradicts network.policy 'none'");
    assertThatThrownBy(
            () ->
                EgressPolicyJson.parse(
                    new ObjectMapper().readTree("[{\"host\": \"a.com\", \"methods\": [1]}]"),
                    "egress"))
        .hasMessage("egress[0].methods[0] must be a string");
  }
}
