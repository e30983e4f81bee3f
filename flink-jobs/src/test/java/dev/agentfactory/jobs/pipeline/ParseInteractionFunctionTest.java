package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class ParseInteractionFunctionTest {

  private final Interaction good =
      Interaction.sandboxCommand("t", "s", 0, "a", "1", "ls", "x", 0, Duration.ZERO);
  private final byte[] goodBytes = new InteractionCodec().toJson(good);

  /** The good event with a blank tenant: valid JSON, invalid event. */
  private final byte[] blankTenant =
      new String(goodBytes, StandardCharsets.UTF_8)
          .replace("\"tenant\":\"t\"", "\"tenant\":\"\"")
          .getBytes(StandardCharsets.UTF_8);

  @Test
  @SuppressWarnings("try") // the harness's close() declares InterruptedException
  void validEventsPassAndInvalidOnesBecomeDeadLettersWithTheField() throws Exception {
    try (var harness =
        ProcessFunctionTestHarnesses.forProcessFunction(new ParseInteractionFunction())) {
      harness.processElement(new KafkaRecord("in", 0, 7, "s".getBytes(), goodBytes), 1L);
      harness.processElement(new KafkaRecord("in", 0, 8, "s".getBytes(), blankTenant), 2L);
      harness.processElement(new KafkaRecord("in", 0, 9, null, "{".getBytes()), 3L);

      assertThat(harness.extractOutputValues()).containsExactly(good);
      assertThat(harness.getSideOutput(ParseInteractionFunction.DEAD_LETTERS))
          .extracting(StreamRecord::getValue)
          .satisfiesExactly(
              first -> {
                assertThat(first.field()).isEqualTo("tenant");
                assertThat(first.reason()).isEqualTo("tenant: must not be blank");
                assertThat(first.origin()).isEqualTo("in/0/8");
                assertThat(first.value()).isEqualTo(blankTenant);
              },
              second -> {
                assertThat(second.field()).isEqualTo("$");
                assertThat(second.reason()).startsWith("$: malformed JSON");
              });
    }
  }

  @Test
  @SuppressWarnings("try")
  void aTimestampBeyondEpochMillisIsDeadLetteredAndTheNextEventStillPasses() throws Exception {
    byte[] farFuture =
        new String(goodBytes, StandardCharsets.UTF_8)
            .replaceFirst(
                "\"created_at\":\"[^\"]*\"", "\"created_at\":\"+300000000-01-01T00:00:00Z\"")
            .getBytes(StandardCharsets.UTF_8);

    try (var harness =
        ProcessFunctionTestHarnesses.forProcessFunction(new ParseInteractionFunction())) {
      harness.processElement(new KafkaRecord("in", 0, 1, "s".getBytes(), farFuture), 1L);
      harness.processElement(new KafkaRecord("in", 0, 2, "s".getBytes(), goodBytes), 2L);

      assertThat(harness.extractOutputValues()).containsExactly(good);
      assertThat(harness.getSideOutput(ParseInteractionFunction.DEAD_LETTERS))
          .extracting(StreamRecord::getValue)
          .singleElement()
          .satisfies(
              dead -> {
                assertThat(dead.field()).isEqualTo("created_at");
                assertThat(dead.reason())
                    .startsWith("created_at: must be between")
                    .endsWith("but was +300000000-01-01T00:00:00Z");
                assertThat(dead.origin()).isEqualTo("in/0/1");
                assertThat(dead.value()).isEqualTo(farFuture);
              });
    }
  }

  @Test
  @SuppressWarnings("try")
  void anyExceptionWhileParsingIsDeadLetteredWithItsClassAndMessage() throws Exception {
    byte[] poison = "{\"poison\":true}".getBytes(StandardCharsets.UTF_8);
    ParseInteractionFunction function = withCodecBug();

    try (var harness = ProcessFunctionTestHarnesses.forProcessFunction(function)) {
      harness.processElement(new KafkaRecord("in", 3, 40, "k".getBytes(), poison), 1L);
      harness.processElement(new KafkaRecord("in", 3, 41, "s".getBytes(), goodBytes), 2L);

      assertThat(harness.extractOutputValues()).containsExactly(good);
      assertThat(harness.getSideOutput(ParseInteractionFunction.DEAD_LETTERS))
          .extracting(StreamRecord::getValue)
          .singleElement()
          .satisfies(
              dead -> {
                assertThat(dead.field()).isEqualTo("$");
                assertThat(dead.reason())
                    .isEqualTo("$: cannot parse: java.lang.ArithmeticException: long overflow");
                assertThat(dead.origin()).isEqualTo("in/3/40");
                assertThat(dead.key()).isEqualTo("k".getBytes());
                assertThat(dead.value()).isEqualTo(poison);
              });
    }
  }

  @Test
  void everyDeadLetterIsCountedByItsKind() throws Exception {
    ParseInteractionFunction function = withCodecBug();

    try (InterceptedMetrics metrics = new InterceptedMetrics();
        var harness =
            new OneInputStreamOperatorTestHarness<>(
                new ProcessOperator<>(function), metrics.environment())) {
      harness.open();
      harness.processElement(new KafkaRecord("in", 0, 1, null, "{".getBytes()), 1L);
      harness.processElement(new KafkaRecord("in", 0, 2, null, "[]".getBytes()), 2L);
      harness.processElement(new KafkaRecord("in", 0, 3, null, new byte[0]), 3L);
      harness.processElement(new KafkaRecord("in", 0, 4, "s".getBytes(), blankTenant), 4L);
      harness.processElement(new KafkaRecord("in", 0, 5, null, "{\"poison\":1}".getBytes()), 5L);
      harness.processElement(new KafkaRecord("in", 0, 6, "s".getBytes(), goodBytes), 6L);

      assertThat(harness.getSideOutput(ParseInteractionFunction.DEAD_LETTERS)).hasSize(5);
      assertThat(metrics.counter(DeadLetterKind.MALFORMED.metricName())).isEqualTo(3);
      assertThat(metrics.counter(DeadLetterKind.INVALID.metricName())).isEqualTo(1);
      assertThat(metrics.counter(DeadLetterKind.UNEXPECTED.metricName())).isEqualTo(1);
      assertThat(metrics.counter(ParseInteractionFunction.UNEXPECTED_FAILURES_METRIC)).isEqualTo(1);
    }
  }

  /**
   * Stands in for a codec bug: a record starting {@code {"p} makes it throw what it never should.
   */
  private static ParseInteractionFunction withCodecBug() {
    return new ParseInteractionFunction(
        value -> {
          if (value.length > 2 && value[2] == 'p') {
            throw new ArithmeticException("long overflow");
          }
          return new InteractionCodec().parse(value);
        });
  }
}
