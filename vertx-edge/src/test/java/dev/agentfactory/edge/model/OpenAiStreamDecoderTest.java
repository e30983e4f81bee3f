package dev.agentfactory.edge.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The decoder fed SSE lines directly, as the provider feeds it a response body. */
class OpenAiStreamDecoderTest {

  private static final Vertx VERTX = Vertx.vertx();
  private static final ObjectMapper JSON = new ObjectMapper();

  @AfterAll
  static void close() {
    VERTX.close();
  }

  private static ModelResponse decode(List<ModelEvent> events, String... chunks) throws Exception {
    BufferedModelStream stream =
        new BufferedModelStream(
            VERTX.getOrCreateContext(),
            out -> {
              OpenAiStreamDecoder decoder = new OpenAiStreamDecoder(JSON, out, "m", s -> s);
              for (String chunk : chunks) {
                decoder.line("data: " + chunk);
                decoder.line("");
              }
              decoder.line("data: [DONE]");
              decoder.end();
            });
    stream.handler(events::add);
    return stream.result().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static String toolCalls(String calls, String finish) {
    return "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
        + calls
        + "},\"finish_reason\":"
        + (finish == null ? "null" : "\"" + finish + "\"")
        + "}]}";
  }

  @Test
  void blankOrMissingToolCallIdsBecomeCallAndTheIndexInReadyEventsAndTheResponse()
      throws Exception {
    List<ModelEvent> events = new CopyOnWriteArrayList<>();

    ModelResponse response =
        decode(
            events,
            toolCalls(
                "[{\"index\":0,\"id\":\"\",\"type\":\"function\",\"function\":{\"name\":\"sandbox_exec\","
                    + "\"arguments\":\"{\\\"command\\\":\"}},"
                    + "{\"index\":1,\"type\":\"function\",\"function\":{\"name\":\"files_list\","
                    + "\"arguments\":\"{}\"}}]",
                null),
            toolCalls(
                "[{\"index\":0,\"id\":\"  \",\"function\":{\"arguments\":\"\\\"ls\\\"}\"}}]",
                "tool_calls"));

    assertThat(response.toolCalls())
        .containsExactly(
            new ToolCall("call_0", "sandbox_exec", "{\"command\":\"ls\"}"),
            new ToolCall("call_1", "files_list", "{}"));
    assertThat(events)
        .filteredOn(ModelEvent.ToolCallReady.class::isInstance)
        .map(e -> ((ModelEvent.ToolCallReady) e).call())
        .as("the ready calls carry the ids the response does")
        .containsExactlyElementsOf(response.toolCalls());
    assertThat(events)
        .filteredOn(ModelEvent.ToolCallDelta.class::isInstance)
        .map(e -> ((ModelEvent.ToolCallDelta) e).id())
        .as("a blank id is no id")
        .containsOnlyNulls();
  }

  @Test
  void aRealIdAfterABlankOneIsTheCallsId() throws Exception {
    ModelResponse response =
        decode(
            new CopyOnWriteArrayList<>(),
            toolCalls(
                "[{\"index\":0,\"id\":\"\",\"function\":{\"name\":\"sandbox_exec\","
                    + "\"arguments\":\"{\\\"command\\\":\"}}]",
                null),
            toolCalls(
                "[{\"index\":0,\"id\":\"call_real\",\"function\":{\"arguments\":\"\\\"ls\\\"}\"}}]",
                "tool_calls"));

    assertThat(response.toolCalls())
        .containsExactly(new ToolCall("call_real", "sandbox_exec", "{\"command\":\"ls\"}"));
  }

  @Test
  void theToolResultOfACallWithoutAnIdAnswersTheIdTheNextRequestGivesTheCall() throws Exception {
    ModelResponse response =
        decode(
            new CopyOnWriteArrayList<>(),
            toolCalls(
                "[{\"index\":0,\"id\":\"\",\"function\":{\"name\":\"sandbox_exec\","
                    + "\"arguments\":\"{}\"}}]",
                "tool_calls"));
    ChatRequest next =
        new ChatRequest(
            "m",
            List.of(
                new ChatMessage.User("run it"),
                response.toMessage(),
                new ChatMessage.Tool(response.toolCalls().get(0).id(), "{\"exit_code\":0}")),
            List.of(),
            ModelParameters.DEFAULTS);

    JsonNode messages =
        JSON.readTree(new OpenAiRequestEncoder(JSON).encode(next, false).getBytes())
            .get("messages");

    assertThat(messages.get(1).get("tool_calls").get(0).get("id").asText()).isEqualTo("call_0");
    assertThat(messages.get(2).get("tool_call_id").asText()).isEqualTo("call_0");
  }
}
