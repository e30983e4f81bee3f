package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import java.time.Duration;
import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class EmailMaskFunctionTest {

  @Test
  @SuppressWarnings("try") // the harness's close() declares InterruptedException
  void addressesInMessagesAndToolOutputAreMasked() throws Exception {
    Interaction event =
        Interaction.builder()
            .sessionId("s")
            .tenant("t")
            .agent("a", "1")
            .message(Message.user("mail alice@example.com and Bob.Smith+x@mail.example.co.uk now"))
            .message(Message.assistant("no address here"))
            .toolCall(
                Interaction.sandboxCommand(
                        "t", "s", 0, "a", "1", "whoami", "carol@corp.io\n", 0, Duration.ZERO)
                    .toolCalls()
                    .get(0))
            .build();

    try (var harness =
        new OneInputStreamOperatorTestHarness<>(new StreamMap<>(new EmailMaskFunction()))) {
      harness.open();
      harness.processElement(new StreamRecord<>(event, 1L));
      Interaction masked = harness.extractOutputValues().get(0);

      assertThat(masked.messages())
          .extracting(Message::content)
          .containsExactly("mail <EMAIL_ADDRESS> and <EMAIL_ADDRESS> now", "no address here");
      assertThat(masked.toolCalls().get(0).output()).isEqualTo("<EMAIL_ADDRESS>\n");
      assertThat(masked.eventId()).isEqualTo(event.eventId());
      assertThat(masked.toolCalls().get(0).arguments())
          .isEqualTo(event.toolCalls().get(0).arguments());
    }
  }

  @Test
  void textWithoutAddressesIsUnchanged() {
    assertThat(EmailMaskFunction.mask("user@host has no TLD; 2 @ 3"))
        .isEqualTo("user@host has no TLD; 2 @ 3");
    assertThat(EmailMaskFunction.mask("")).isEmpty();
  }
}
