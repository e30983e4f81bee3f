package dev.agentfactory.edge.tools.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.net.ServerSocket;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What an HTTP MCP client tells about a server it cannot reach. */
class McpHttpClientTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void anUnreachableServerIsNamedWithoutTheCredentialsOfItsUrl() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort(); // closed again: nothing listens there
    }
    // a version stored before such URLs were refused at write time
    McpHttpClient client =
        new McpHttpClient(
            WebClient.create(vertx),
            "docs",
            URI.create("http://bob:s3cret@127.0.0.1:" + port + "/mcp"));

    Throwable failure =
        client
            .listTools()
            .toCompletionStage()
            .toCompletableFuture()
            .handle((tools, e) -> e)
            .get(60, TimeUnit.SECONDS);

    assertThat(failure).isInstanceOf(McpException.class);
    assertThat(failure.getMessage())
        .contains("MCP server docs (http://127.0.0.1:" + port + "/mcp) unreachable")
        .doesNotContain("s3cret")
        .doesNotContain("bob");
  }
}
