package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class PiiScrubFunctionTest {

  @Test
  @SuppressWarnings("try") // the harness's close() declares InterruptedException
  void messagesToolOutputsAndSecretArgumentsAreScrubbed() throws Exception {
    Interaction event =
        Interaction.builder()
            .sessionId("s")
            .tenant("t")
            .agent("a", "1")
            .message(Message.user("contact alice@example.com or 4111 1111 1111 1111"))
            .message(Message.assistant("no pii here"))
            .toolCall(
                new ToolCall(
                    "c1",
                    "http.get",
                    "{\"url\":\"https://api.example.com\",\"token\":\"abc\"}",
                    "from 10.1.2.3\n",
                    null,
                    ToolCallStatus.OK,
                    1))
            .build();

    try (var harness =
        new OneInputStreamOperatorTestHarness<>(new StreamMap<>(PiiScrubFunction.masking()))) {
      harness.open();
      harness.processElement(new StreamRecord<>(event, 1L));
      Interaction scrubbed = harness.extractOutputValues().get(0);

      assertThat(scrubbed.messages())
          .extracting(Message::content)
          .containsExactly("contact <EMAIL_ADDRESS> or <CREDIT_CARD>", "no pii here");
      assertThat(scrubbed.toolCalls().get(0).output()).isEqualTo("from <IP_ADDRESS>\n");
      assertThat(scrubbed.toolCalls().get(0).arguments())
          .isEqualTo("{\"url\":\"<DOMAIN_NAME>\",\"token\":\"<SECRET>\"}");
      assertThat(scrubbed.eventId()).isEqualTo(event.eventId());
    }
  }

  @Test
  void theDefaultPolicyIsVersioned() {
    assertThat(PiiScrubFunction.masking().policy().version()).isEqualTo("pii-v1");
  }
}
