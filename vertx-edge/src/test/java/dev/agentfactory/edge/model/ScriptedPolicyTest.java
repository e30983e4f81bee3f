package dev.agentfactory.edge.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ScriptedPolicyTest {

  private static final Vertx VERTX = Vertx.vertx();
  private final ScriptedPolicy policy = new ScriptedPolicy(VERTX);
  private static final ToolDefinition EXEC =
      new ToolDefinition(
          "sandbox_exec", "run", new ObjectMapper().createObjectNode().put("type", "object"));

  @AfterAll
  static void close() {
    VERTX.close();
  }

  private static ModelResponse run(ModelStream stream, List<ModelEvent> events) throws Exception {
    stream.handler(events::add);
    return stream.result().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void arithmeticQuestionBecomesAPythonToolCallThenAnAnswerFromTheResult() throws Exception {
    List<ChatMessage> conversation = new ArrayList<>();
    conversation.add(new ChatMessage.User("what is 12*(3+4)?"));
    List<ModelEvent> events = new CopyOnWriteArrayList<>();
    ModelResponse call =
        run(
            policy.stream(
                new ChatRequest(
                    ScriptedPolicy.MATH_MODEL,
                    conversation,
                    List.of(EXEC),
                    ModelParameters.DEFAULTS)),
            events);

    assertThat(call.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
    assertThat(call.scripted()).isTrue();
    assertThat(call.provider()).isEqualTo("scripted");
    assertThat(call.toolCalls())
        .containsExactly(
            new ToolCall(
                "call_scripted_1",
                "sandbox_exec",
                "{\"command\":\"python3 -c 'print(12*(3+4))'\"}"));
    assertThat(events).filteredOn(ModelEvent.ToolCallDelta.class::isInstance).hasSizeGreaterThan(2);

    conversation.add(call.toMessage());
    conversation.add(
        new ChatMessage.Tool(
            "call_scripted_1",
            "{\"status\":\"exited\",\"exit_code\":0,\"stdout\":\"84\\n\",\"stderr\":\"\"}"));
    List<ModelEvent> answerEvents = new CopyOnWriteArrayList<>();
    ModelResponse answer =
        run(
            policy.stream(
                new ChatRequest(
                    ScriptedPolicy.MATH_MODEL,
                    conversation,
                    List.of(EXEC),
                    ModelParameters.DEFAULTS)),
            answerEvents);

    assertThat(answer.text()).isEqualTo("12*(3+4) = 84");
    assertThat(answer.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(answerEvents)
        .filteredOn(ModelEvent.TextDelta.class::isInstance)
        .hasSizeGreaterThan(1);
  }

  @Test
  void powersAndPlainTextToolOutputWork() throws Exception {
    ModelResponse call =
        run(
            policy.stream(
                new ChatRequest(
                    ScriptedPolicy.MATH_MODEL,
                    List.of(new ChatMessage.User("compute 2**10 - 1")),
                    List.of(EXEC),
                    ModelParameters.DEFAULTS)),
            new ArrayList<>());
    assertThat(call.toolCalls().get(0).argumentsJson()).contains("print(2**10 - 1)");

    ModelResponse answer =
        run(
            policy.stream(
                new ChatRequest(
                    ScriptedPolicy.MATH_MODEL,
                    List.of(
                        new ChatMessage.User("compute 2**10 - 1"),
                        call.toMessage(),
                        new ChatMessage.Tool(call.toolCalls().get(0).id(), "1023\n")),
                    List.of(EXEC),
                    ModelParameters.DEFAULTS)),
            new ArrayList<>());
    assertThat(answer.text()).isEqualTo("2**10 - 1 = 1023");
  }

  @Test
  void nonArithmeticGetsAPoliteAnswerWithoutToolCalls() throws Exception {
    ModelResponse answer =
        run(
            policy.stream(
                new ChatRequest(
                    ScriptedPolicy.MATH_MODEL,
                    List.of(new ChatMessage.User("write me a poem")),
                    List.of(EXEC),
                    ModelParameters.DEFAULTS)),
            new ArrayList<>());
    assertThat(answer.toolCalls()).isEmpty();
    assertThat(answer.text()).contains("scripted math agent").contains("12*(3+4)");
  }

  @Test
  void sameConversationGivesTheSameResponse() throws Exception {
    ChatRequest request =
        new ChatRequest(
            ScriptedPolicy.MATH_MODEL,
            List.of(new ChatMessage.User("what is (1.5+2.5)/2")),
            List.of(EXEC),
            ModelParameters.DEFAULTS);
    assertThat(run(policy.stream(request), new ArrayList<>()))
        .isEqualTo(run(policy.stream(request), new ArrayList<>()));
  }

  @Test
  void expressionsAreCheckedAgainstTheArithmeticGrammar() {
    assertThat(ArithmeticQuestion.expression("What is 12*(3+4)?")).hasValue("12*(3+4)");
    assertThat(ArithmeticQuestion.expression("calculate 7 // 2 % 3")).hasValue("7 // 2 % 3");
    assertThat(ArithmeticQuestion.expression("what is 2^8")).hasValue("2**8");
    assertThat(ArithmeticQuestion.expression("what is 1+(2")).isEmpty();
    assertThat(ArithmeticQuestion.expression("compute __import__('os')")).isEmpty();
    assertThat(ArithmeticQuestion.expression("what is 1 ++")).isEmpty();
  }
}
