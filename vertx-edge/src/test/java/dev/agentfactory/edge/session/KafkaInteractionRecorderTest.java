package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.connectors.event.TurnOutcome;
import dev.agentfactory.edge.model.FinishReason;
import dev.agentfactory.edge.model.ModelResponse;
import dev.agentfactory.edge.model.TokenUsage;
import dev.agentfactory.edge.model.ToolCall;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class KafkaInteractionRecorderTest {

  @Test
  void aTurnWhoseFirstModelCallFailedIsAnEventWithItsOutcomeAndNoModel() {
    AgentLoop.Turn soFar =
        new AgentLoop.Turn("q1", "hello?", List.of(), List.of(), null, TokenUsage.UNKNOWN, 0, 812);

    Interaction event = KafkaInteractionRecorder.toEvent(record(soFar, TurnOutcome.MODEL_ERROR));

    assertThat(event.outcome()).isEqualTo(TurnOutcome.MODEL_ERROR);
    assertThat(event.model()).isEmpty();
    assertThat(event.messages()).containsExactly(Message.user("hello?"));
    assertThat(event.latencyMs()).isEqualTo(812);
    InteractionCodec codec = new InteractionCodec();
    assertThat(codec.parse(codec.toJson(event))).isEqualTo(event);
  }

  @Test
  void aToolCallTheSessionsEndCutOffIsCancelled() {
    AgentLoop.ToolRun killed =
        new AgentLoop.ToolRun("cancelled", -1, "started\n", "", 40, true, null);
    ToolCall call = new ToolCall("call_1", "sandbox_exec", "{\"command\":\"sleep 600\"}");
    ModelResponse asked =
        new ModelResponse(
            "openai",
            "fake-model",
            "",
            List.of(call),
            FinishReason.TOOL_CALLS,
            new TokenUsage(10, 5, 15),
            false);
    AgentLoop.Turn soFar =
        new AgentLoop.Turn(
            "q1",
            "run it",
            List.of(),
            List.of(new AgentLoop.ToolCallRecord(call, killed)),
            asked,
            new TokenUsage(10, 5, 15),
            1,
            900);

    Interaction event = KafkaInteractionRecorder.toEvent(record(soFar, TurnOutcome.CANCELLED));

    assertThat(event.outcome()).isEqualTo(TurnOutcome.CANCELLED);
    assertThat(event.model()).contains("fake-model");
    assertThat(event.toolCalls())
        .singleElement()
        .satisfies(c -> assertThat(c.status()).isEqualTo(ToolCallStatus.CANCELLED));
  }

  private static AgentTurnRecord record(AgentLoop.Turn turn, TurnOutcome outcome) {
    return new AgentTurnRecord(
        "acme", "s1", 3, "runner", "1", turn, Instant.parse("2026-01-02T03:04:05Z"), outcome);
  }
}
