package dev.agentfactory.sandbox.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.sandbox.driver.Isolation;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TemplateParserTest {

  @Test
  void fullTemplateParsesIntoARecord() {
    TemplateSpec t =
        TemplateParser.parse(
            """
            {"name": "py", "isolation": "namespace",
             "limits": {"memory_mb": 256, "pids": 64, "cpu_millis": 500, "disk_mb": 100},
             "env": {"A": "1"}, "files": {"src/main.py": "print(1)"},
             "network": {"policy": "none"}, "idle_timeout_s": 60, "max_lifetime_s": 600,
             "warm_pool_size": 3, "requires": ["/usr/bin/python3"]}
            """);

    assertThat(t.name()).isEqualTo("py");
    assertThat(t.limits().memoryBytes()).isEqualTo(256L << 20);
    assertThat(t.limits().pids()).isEqualTo(64);
    assertThat(t.limits().diskBytes()).isEqualTo(100L << 20);
    assertThat(t.env()).containsEntry("A", "1");
    assertThat(t.files()).containsKey("src/main.py");
    assertThat(t.idleTimeout()).isEqualTo(Duration.ofMinutes(1));
    assertThat(t.warmPoolSize()).isEqualTo(3);
  }

  @Test
  void nonPositiveMemoryIsRejectedNamingTheField() {
    assertThatThrownBy(
            () -> TemplateParser.parse("{\"name\": \"x\", \"limits\": {\"memory_mb\": 0}}"))
        .isInstanceOf(InvalidTemplateException.class)
        .hasMessage("template 'x': limits.memory_mb must be positive");
  }

  @Test
  void misspeltLimitIsRejectedNotIgnored() {
    assertThatThrownBy(
            () -> TemplateParser.parse("{\"name\": \"x\", \"limits\": {\"memroy_mb\": 5}}"))
        .hasMessage("template 'x': limits.memroy_mb is not a known field");
  }

  @Test
  void unknownNetworkPolicyIsRejected() {
    assertThatThrownBy(
            () -> TemplateParser.parse("{\"name\": \"x\", \"network\": {\"policy\": \"open\"}}"))
        .hasMessageStartingWith("template 'x': network.policy must be one of");
  }

  @Test
  void fileOutsideTheWorkspaceIsRejected() {
    assertThatThrownBy(
            () -> TemplateParser.parse("{\"name\": \"x\", \"files\": {\"../etc/x\": \"\"}}"))
        .hasMessageContaining("files '../etc/x' must be a relative path inside the workspace");
  }

  @Test
  void missingNameAndBadJsonAreRejected() {
    assertThatThrownBy(() -> TemplateParser.parse("{}")).hasMessageContaining("name must be set");
    assertThatThrownBy(() -> TemplateParser.parse("{"))
        .hasMessageStartingWith("template is not valid JSON");
    assertThatThrownBy(() -> TemplateParser.parse("{\"name\": \"x\", \"pids\": 3}"))
        .hasMessage("template 'x': pids is not a known field");
  }

  @Test
  void tooSmallLimitNamesTheField() {
    assertThatThrownBy(() -> TemplateParser.parse("{\"name\": \"x\", \"limits\": {\"pids\": 2}}"))
        .hasMessage("template 'x': limits.pids must be at least 8");
  }

  @Test
  void builtInsParseAndMissingProgramsMakeATemplateUnavailable() {
    TemplateCatalog catalog = TemplateCatalog.builtIn();

    assertThat(catalog.names()).containsExactlyInAnyOrder("shell", "python", "node", "browser");
    TemplateSpec ghost = catalog.get("shell").orElseThrow().withWarmPoolSize(0);
    TemplateSpec needsGhost =
        new TemplateSpec(
            "ghost",
            null,
            ghost.limits(),
            ghost.env(),
            ghost.files(),
            dev.agentfactory.sandbox.egress.EgressPolicy.NONE,
            null,
            null,
            0,
            java.util.List.of("/no/such/program"));
    assertThat(TemplateCatalog.unavailableReason(needsGhost, Isolation.NAMESPACE))
        .hasValue("/no/such/program is not installed on this host");
  }
}
