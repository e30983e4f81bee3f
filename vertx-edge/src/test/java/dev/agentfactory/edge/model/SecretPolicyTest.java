package dev.agentfactory.edge.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.edge.agent.AgentSpec;
import dev.agentfactory.edge.agent.ModelProviders;
import io.vertx.core.Vertx;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SecretPolicyTest {

  private static final URI OPENAI = URI.create("https://api.openai.com/v1");
  private static final URI ELSEWHERE = URI.create("https://collector.example/v1");

  private static boolean allows(String rules, String tenant, String ref, String url) {
    return SecretPolicy.parse(rules).allows(tenant, SecretRef.parse(ref), URI.create(url));
  }

  @Test
  void theDefaultLetsAgentsSendTheOpenAiKeyToOpenAiAndNothingElseAnywhere() {
    SecretPolicy policy = SecretPolicy.defaults();
    assertThat(policy.allows("acme", SecretRef.parse("env:OPENAI_API_KEY"), OPENAI)).isTrue();
    assertThat(policy.allows("acme", SecretRef.parse("env:OPENAI_API_KEY"), ELSEWHERE)).isFalse();
    // the node's own secrets, whatever the URL
    assertThat(policy.allows("acme", SecretRef.parse("env:AF_ADMIN_KEY"), OPENAI)).isFalse();
    assertThat(policy.allows("acme", SecretRef.parse("file:/data/edge/turn-store.key"), OPENAI))
        .isFalse();
  }

  @ParameterizedTest(name = "{1} {2} to {3}: {4}")
  @CsvSource(
      delimiter = '|',
      value = {
        "env:OPENAI_API_KEY               | t    | env:OPENAI_API_KEY              | https://any.example/v1        | true",
        "env:AF_AGENT_KEY_*               | t    | env:AF_AGENT_KEY_ACME           | https://any.example/v1        | true",
        "env:AF_AGENT_KEY_*               | t    | env:AF_AGENT_KEY_               | https://any.example/v1        | false",
        "env:AF_AGENT_KEY_*               | t    | env:AF_ADMIN_KEY                | https://any.example/v1        | false",
        "file:/run/secrets/openai         | t    | file:/run/secrets/openai        | https://any.example/v1        | true",
        "file:/run/secrets/openai         | t    | env:openai                      | https://any.example/v1        | false",
        "file:/run/secrets/a/{tenant}/*   | acme | file:/run/secrets/a/acme/key    | https://any.example/v1        | true",
        "file:/run/secrets/a/{tenant}/*   | evil | file:/run/secrets/a/acme/key    | https://any.example/v1        | false",
        "file:/run/secrets/a/{tenant}/*   | evil | file:/run/secrets/a/evil/../acme/key | https://any.example/v1   | false",
        "file:/run/secrets/a/*            | t    | file:/run/secrets/a/./x         | https://any.example/v1        | false",
        "env:K@https://api.example.com    | t    | env:K                           | https://api.example.com/v1    | true",
        "env:K@https://api.example.com    | t    | env:K                           | https://API.example.com:443/v1 | true",
        "env:K@https://api.example.com    | t    | env:K                           | http://api.example.com/v1     | false",
        "env:K@https://api.example.com    | t    | env:K                           | https://api.example.com:8443/v1 | false",
        "env:K@https://api.example.com    | t    | env:K                           | https://api.example.com.evil.io/v1 | false",
        "env:K@https://h.example/team/v1  | t    | env:K                           | https://h.example/team/v1     | true",
        "env:K@https://h.example/team/v1  | t    | env:K                           | https://h.example/team/v1/    | true",
        "env:K@https://h.example/team/v1  | t    | env:K                           | https://h.example/team/v10    | false",
        "env:K@https://h.example/team/v1  | t    | env:K                           | https://h.example/other/v1    | false",
        "''                               | t    | env:K                           | https://h.example/            | false",
      })
  void rulesMatchReferenceTenantAndUrl(
      String rules, String tenant, String ref, String url, boolean allowed) {
    assertThat(allows(rules, tenant, ref, url)).isEqualTo(allowed);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "sk-live-123                | a rule is env:NAME or file:/path",
        "env:OPEN*AI                | '*' may only end the reference",
        "env:1BAD                   | env: needs a variable name",
        "file:relative/path         | absolute path",
        "file:/run/../etc/shadow    | absolute path without . or ..",
        "file:/run/secrets*         | must end in '/*'",
        "env:K_{tenant}             | {tenant} is for file rules",
        "env:K@ftp://h.example      | http(s) URL",
        "env:K@https://u:p@h.example | http(s) URL without query or credentials",
      })
  void badRulesAreRefusedNamingTheRule(String rule, String message) {
    assertThatThrownBy(() -> SecretPolicy.parse("env:OK," + rule))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + rule + "'")
        .hasMessageContaining(message);
  }

  @Test
  void theRefusalNamesReferenceUrlAndRulesButNoValue() {
    String refusal =
        SecretPolicy.defaults().refusal(SecretRef.parse("env:AF_ADMIN_KEY"), ELSEWHERE);
    assertThat(refusal)
        .contains("env:AF_ADMIN_KEY", "https://collector.example/v1", "agents.secrets")
        .contains("env:OPENAI_API_KEY@https://api.openai.com");
    assertThat(SecretPolicy.parse("").refusal(SecretRef.parse("env:K"), ELSEWHERE))
        .contains("no secret is allowed");
  }

  @Test
  void aProviderForANotAllowedSecretFailsEveryCallWithoutResolvingIt() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      ModelProviders providers = new ModelProviders(vertx, SecretPolicy.defaults());
      AgentSpec.ModelSpec spec =
          new AgentSpec.ModelSpec(
              AgentSpec.Provider.OPENAI,
              "gpt-4o-mini",
              Optional.of(ELSEWHERE),
              Optional.of(SecretRef.parse("env:PATH")),
              ModelParameters.DEFAULTS);
      ModelStream stream =
          providers.forSpec("acme", spec).stream(
              new ChatRequest(
                  "gpt-4o-mini",
                  List.of(new ChatMessage.User("hi")),
                  List.of(),
                  ModelParameters.DEFAULTS));
      stream.handler(e -> {});
      Throwable failure =
          stream
              .result()
              .toCompletionStage()
              .toCompletableFuture()
              .handle((r, e) -> e)
              .get(5, TimeUnit.SECONDS);
      assertThat(failure).isInstanceOf(ModelException.class);
      assertThat(((ModelException) failure).code()).isEqualTo(ModelErrorCode.SECRET_NOT_ALLOWED);
      assertThat(failure.getMessage())
          .contains("env:PATH", "https://collector.example/v1")
          .doesNotContain(System.getenv("PATH"));
      // the same spec to OpenAI itself gets a real provider
      AgentSpec.ModelSpec allowed =
          new AgentSpec.ModelSpec(
              AgentSpec.Provider.OPENAI,
              "gpt-4o-mini",
              Optional.of(OPENAI),
              Optional.of(SecretRef.parse("env:OPENAI_API_KEY")),
              ModelParameters.DEFAULTS);
      assertThat(providers.forSpec("acme", allowed)).isInstanceOf(OpenAiCompatibleProvider.class);
    } finally {
      vertx.close();
    }
  }
}
