package dev.agentfactory.jobs.label;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class JudgeRubricTest {

  private static final ToolCall CALL =
      new ToolCall(
          "c1", "sandbox_exec", "{\"command\":\"echo 84\"}", "84\n", 0, ToolCallStatus.OK, 3);

  private static Interaction.Builder turn() {
    return Interaction.builder().sessionId("s1").tenant("acme").agent("math", "v1");
  }

  @Test
  void anAssistantMessageThatOnlyCalledToolsAddsNothingToTheTranscriptSoCachedVerdictsStay() {
    Interaction before =
        turn()
            .message(Message.user("what is 12*(3+4)?"))
            .message(Message.assistant("84"))
            .toolCall(CALL)
            .build();
    Interaction linked =
        turn()
            .message(Message.user("what is 12*(3+4)?"))
            .message(Message.assistant("", List.of("c1")))
            .message(Message.assistant("84"))
            .toolCall(CALL)
            .build();

    assertThat(JudgeRubric.transcript(linked)).isEqualTo(JudgeRubric.transcript(before));
  }
}
