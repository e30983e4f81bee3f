package dev.agentfactory.edge.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.edge.agent.BuiltinTool;
import org.junit.jupiter.api.Test;

class SessionToolsTest {

  @Test
  void mcpToolsGetFunctionNamesModelsAccept() {
    assertThat(SessionTools.functionName("docs", "search")).isEqualTo("mcp_docs_search");
    assertThat(SessionTools.functionName("gh", "repos.get file"))
        .isEqualTo("mcp_gh_repos_get_file");
  }

  @Test
  void builtinToolsAreOfferedUnderTheNameTheirCallsAreRecordedBy() {
    assertThat(BuiltinTool.SANDBOX_EXEC.definition().name()).isEqualTo("sandbox_exec");
    assertThat(SessionTools.isExec("sandbox_exec")).isTrue();
    assertThat(BuiltinTool.byFunctionName("files_read")).contains(BuiltinTool.FILES_READ);
    for (BuiltinTool tool : BuiltinTool.values()) {
      assertThat(tool.functionName()).isEqualTo(ToolCall.functionName(tool.specName()));
    }
  }

  @Test
  void longNamesAreShortenedWithAHashThatKeepsThemApart() {
    String a = SessionTools.functionName("server", "x".repeat(100) + "a");
    String b = SessionTools.functionName("server", "x".repeat(100) + "b");
    assertThat(a).hasSize(64).matches("[A-Za-z0-9_-]+").isNotEqualTo(b);
    assertThat(b).hasSize(64);
  }

  @Test
  void argumentsThatAreNotAnObjectAreRefusedWithAMessageForTheModel() {
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ToolArguments.parse("[1]")))
        .hasMessageContaining("JSON object");
    assertThat(
            org.assertj.core.api.Assertions.catchThrowable(
                () -> ToolArguments.parse("{\"path\":1}").requiredText("path")))
        .hasMessageContaining("'path' must be a string");
    assertThat(
            org.assertj.core.api.Assertions.catchThrowable(
                () -> HttpFetch.request(ToolArguments.parse("{\"url\":\"file:///etc/passwd\"}"))))
        .hasMessageContaining("http or https");
    assertThat(
            org.assertj.core.api.Assertions.catchThrowable(
                () ->
                    HttpFetch.request(
                        ToolArguments.parse("{\"url\":\"http://x/\",\"method\":\"TRACE\"}"))))
        .hasMessageContaining("'method'");
  }
}
