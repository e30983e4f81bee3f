package dev.agentfactory.edge.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.edge.agent.AgentSpec;
import dev.agentfactory.edge.agent.AgentSpecCodec;
import dev.agentfactory.edge.model.ToolCall;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A failure of the session's sandbox reads the same in the result of every tool that uses it: led
 * by its code when it has one, and never naming a Java class.
 */
class ToolFailureTest {

  private static final String BUILTINS =
      "\"tools\":[\"files.read\",\"files.write\",\"files.list\",\"http.fetch\"]";

  /** initialize and tools/list answered, as the bridge prints them. */
  private static final String BRIDGE_ANSWER =
      "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{\"protocolVersion\":\"2025-06-18\","
          + "\"capabilities\":{},\"serverInfo\":{\"name\":\"fixture\",\"version\":\"1\"}}}\n"
          + "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[{\"name\":\"echo\","
          + "\"description\":\"echoes\",\"inputSchema\":{\"type\":\"object\"}}]}}\n";

  private static final String STDIO_SERVER =
      ",\"mcp_servers\":[{\"name\":\"local\",\"transport\":\"stdio\","
          + "\"command\":[\"/usr/bin/python3\",\"server.py\"]}]";

  private static final ClusterException PEER_TIMEOUT =
      new ClusterException(
          "cluster.peer_timeout",
          "node n2 did not answer a file read within 60000 ms: its af.loans.control threads are"
              + " busy or stuck",
          true);

  private static final SandboxException LOST =
      new SandboxException("sandbox_lost", "sandbox sb-1 is lost: its host n2 left", false);

  private final Vertx vertx = Vertx.vertx();
  private final Context context = vertx.getOrCreateContext();

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aSandboxRefusalIsAnErrorResultLedByItsCode() throws Exception {
    SessionTools tools =
        tools(
            BUILTINS,
            sandbox(
                new FailingSandbox(
                    new SandboxException("file_not_found", "file 'f' not found", false))));

    ToolResult read = call(tools, new ToolCall("c1", "files_read", "{\"path\":\"f\"}"));

    assertThat(read.isError()).isTrue();
    assertThat(read.content()).isEqualTo("file_not_found: file 'f' not found");
  }

  @Test
  void aBorrowedSandboxWhoseHostDidNotAnswerReadsTheSameInEveryBuiltinTool() throws Exception {
    SessionTools tools = tools(BUILTINS, sandbox(new FailingSandbox(PEER_TIMEOUT)));

    for (ToolCall call : builtinCalls()) {
      ToolResult result = call(tools, call);

      assertThat(result.isError()).as(call.name()).isTrue();
      assertThat(result.content())
          .as(call.name())
          .isEqualTo(
              "cluster.peer_timeout: node n2 did not answer a file read within 60000 ms: its"
                  + " af.loans.control threads are busy or stuck");
    }
  }

  @Test
  void aLostSandboxUnderAnMcpStdioServerReadsLikeOneUnderTheFileTools() throws Exception {
    SessionTools tools =
        tools(BUILTINS + STDIO_SERVER, sandbox(new FailingSandbox(LOST, BRIDGE_ANSWER)));
    assertThat(await(onContext(tools::definitions)))
        .extracting(d -> d.name())
        .contains("mcp_local_echo");

    ToolResult mcp = call(tools, new ToolCall("c1", "mcp_local_echo", "{}"));
    ToolResult read = call(tools, new ToolCall("c2", "files_read", "{\"path\":\"f\"}"));

    assertThat(mcp.isError()).isTrue();
    assertThat(mcp.content())
        .isEqualTo(read.content())
        .isEqualTo("sandbox_lost: sandbox sb-1 is lost: its host n2 left");
  }

  @Test
  void aSandboxThatCouldNotBeLeasedReadsItsCodeInEveryTool() throws Exception {
    ClusterException conflict =
        new ClusterException("lease.conflict", "sandbox pool busy: try again", true);
    SessionTools tools = tools(BUILTINS, () -> Future.failedFuture(conflict));

    for (ToolCall call : builtinCalls()) {
      assertThat(call(tools, call).content())
          .as(call.name())
          .isEqualTo("lease.conflict: sandbox pool busy: try again");
    }
  }

  @Test
  void anUntypedFailureReadsTheToolAndTheMessageNeverAJavaClass() throws Exception {
    SessionTools tools =
        tools(
            BUILTINS,
            sandbox(new FailingSandbox(new UncheckedIOException(new IOException("disk on fire")))));

    for (ToolCall call : builtinCalls()) {
      assertThat(call(tools, call).content())
          .as(call.name())
          .isEqualTo(call.name() + " failed: disk on fire");
    }
  }

  @Test
  void anUnexpectedFailureWithoutAMessageSaysItWasLoggedNotWhatClassItWas() throws Exception {
    SessionTools tools = tools(BUILTINS, sandbox(new FailingSandbox(new NullPointerException())));

    for (ToolCall call : builtinCalls()) {
      assertThat(call(tools, call).content())
          .as(call.name())
          .isEqualTo(call.name() + " failed: unexpected error (logged by the edge)");
    }
  }

  private static List<ToolCall> builtinCalls() {
    return List.of(
        new ToolCall("c1", "files_read", "{\"path\":\"f\"}"),
        new ToolCall("c2", "files_write", "{\"path\":\"f\",\"content\":\"x\"}"),
        new ToolCall("c3", "files_list", "{}"),
        new ToolCall("c4", "http_fetch", "{\"url\":\"https://example.org/\"}"));
  }

  private static Supplier<Future<Sandbox>> sandbox(Sandbox sandbox) {
    return () -> Future.succeededFuture(sandbox);
  }

  private SessionTools tools(String fields, Supplier<Future<Sandbox>> sandbox) {
    AgentSpec spec =
        new AgentSpecCodec()
            .parseJson(
                "{\"name\":\"failing\",\"model\":{\"provider\":\"openai\",\"name\":\"m\","
                    + "\"base_url\":\"http://localhost:1\"},\"sandbox\":{\"template\":\"shell\"},"
                    + fields
                    + "}");
    return new SessionTools(vertx, context, spec, sandbox);
  }

  private ToolResult call(SessionTools tools, ToolCall call) throws Exception {
    return await(onContext(() -> tools.call(call)));
  }

  /** Starts {@code call} on the session's context, as the session does. */
  private <T> CompletableFuture<T> onContext(Supplier<Future<T>> call) {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(
        v ->
            call.get()
                .onComplete(
                    ar -> {
                      if (ar.succeeded()) {
                        done.complete(ar.result());
                      } else {
                        done.completeExceptionally(ar.cause());
                      }
                    }));
    return done;
  }

  private static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(30, TimeUnit.SECONDS);
  }
}
