package dev.agentfactory.connectors.event;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ToolCallTest {

  @Test
  void modelsCallAToolByItsNameWithUnderscoresForDots() {
    assertThat(ToolCall.functionName("sandbox.exec")).isEqualTo("sandbox_exec");
    assertThat(ToolCall.functionName("files.read")).isEqualTo("files_read");
  }

  @Test
  void aNameModelsAlreadyCallStaysAsItIs() {
    assertThat(ToolCall.functionName("sandbox_exec")).isEqualTo("sandbox_exec");
    assertThat(ToolCall.functionName("mcp_docs_search")).isEqualTo("mcp_docs_search");
  }
}
