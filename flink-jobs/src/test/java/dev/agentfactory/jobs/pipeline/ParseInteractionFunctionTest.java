package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class ParseInteractionFunctionTest {

  @Test
  @SuppressWarnings("try") // the harness's close() declares InterruptedException
  void validEventsPassAndInvalidOnesBecomeDeadLettersWithTheField() throws Exception {
    Interaction good =
        Interaction.sandboxCommand("t", "s", 0, "a", "1", "ls", "x", 0, Duration.ZERO);
    byte[] goodBytes = new InteractionCodec().toJson(good);
    byte[] badBytes =
        new String(goodBytes, StandardCharsets.UTF_8)
            .replace("\"tenant\":\"t\"", "\"tenant\":\"\"")
            .getBytes(StandardCharsets.UTF_8);

    try (var harness =
        ProcessFunctionTestHarnesses.forProcessFunction(new ParseInteractionFunction())) {
      harness.processElement(new KafkaRecord("in", 0, 7, "s".getBytes(), goodBytes), 1L);
      harness.processElement(new KafkaRecord("in", 0, 8, "s".getBytes(), badBytes), 2L);
      harness.processElement(new KafkaRecord("in", 0, 9, null, "{".getBytes()), 3L);

      assertThat(harness.extractOutputValues()).containsExactly(good);
      assertThat(harness.getSideOutput(ParseInteractionFunction.DEAD_LETTERS))
          .extracting(StreamRecord::getValue)
          .satisfiesExactly(
              first -> {
                assertThat(first.field()).isEqualTo("tenant");
                assertThat(first.reason()).isEqualTo("tenant: must not be blank");
                assertThat(first.origin()).isEqualTo("in/0/8");
                assertThat(first.value()).isEqualTo(badBytes);
              },
              second -> {
                assertThat(second.field()).isEqualTo("$");
                assertThat(second.reason()).startsWith("$: malformed JSON");
              });
    }
  }
}
