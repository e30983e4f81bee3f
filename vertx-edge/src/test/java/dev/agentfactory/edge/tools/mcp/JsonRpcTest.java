package dev.agentfactory.edge.tools.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class JsonRpcTest {

  private static JsonNode json(String text) throws Exception {
    return JsonRpc.JSON.readTree(text);
  }

  @Test
  void initializeAsksForTheNewestRevisionAndAcceptsTheOlderOne() throws Exception {
    assertThat(JsonRpc.initialize(0).path("params").path("protocolVersion").asText())
        .isEqualTo("2025-06-18");
    assertThat(
            JsonRpc.negotiated(
                "s",
                json(
                    "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{\"protocolVersion\":\"2025-03-26\"}}")))
        .isEqualTo("2025-03-26");
    McpException e =
        catchThrowableOfType(
            McpException.class,
            () ->
                JsonRpc.negotiated(
                    "s",
                    json(
                        "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{\"protocolVersion\":\"1999\"}}")));
    assertThat(e).hasMessageContaining("server s").hasMessageContaining("'1999'");
  }

  @Test
  void callResultsFlattenContentToText() throws Exception {
    McpCallResult r =
        JsonRpc.callResult(
            "s",
            "t",
            json(
                "{\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
                    + "{\"type\":\"image\",\"mimeType\":\"image/png\",\"data\":\"AAAA\"},"
                    + "{\"type\":\"resource_link\",\"uri\":\"file:///x\"}],\"isError\":true}}"));
    assertThat(r.isError()).isTrue();
    assertThat(r.text())
        .isEqualTo("a\n[image image/png, 4 base64 characters]\n[resource file:///x]");
    McpCallResult structured =
        JsonRpc.callResult(
            "s",
            "t",
            json("{\"id\":1,\"result\":{\"content\":[],\"structuredContent\":{\"n\":1}}}"));
    assertThat(structured.text()).isEqualTo("{\"n\":1}");
    McpCallResult refused =
        JsonRpc.callResult(
            "s", "t", json("{\"id\":1,\"error\":{\"code\":-32602,\"message\":\"Unknown tool\"}}"));
    assertThat(refused.isError()).isTrue();
    assertThat(refused.text()).contains("-32602").contains("Unknown tool");
  }

  @Test
  void toolsWithoutASchemaTypeAreObjects() throws Exception {
    StringBuilder next = new StringBuilder();
    var tools =
        JsonRpc.tools(
            "s",
            json("{\"tools\":[{\"name\":\"a\",\"inputSchema\":{}}],\"nextCursor\":\"p2\"}"),
            next);
    assertThat(tools.get(0).inputSchema().path("type").asText()).isEqualTo("object");
    assertThat(next).hasToString("p2");
  }
}
