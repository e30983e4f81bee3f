package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.jobs.eval.EvalAccumulator;
import dev.agentfactory.jobs.eval.EvalMetrics;
import dev.agentfactory.jobs.eval.EvalSample;
import dev.agentfactory.jobs.label.JudgeVerdict;
import dev.agentfactory.jobs.label.LabeledInteraction;
import dev.agentfactory.jobs.label.RuleLabeler;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.windowing.assigners.SlidingProcessingTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.streaming.runtime.operators.windowing.WindowOperatorBuilder;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link EvalAggregateFunction} and {@link EvalWindowFunction} in the window operator the job
 * builds: keyed by {@link EvalSample#key}, sliding processing-time windows of 10 s every 1 s. The
 * harness's clock is moved by hand, so windows fire exactly when the test says.
 */
class EvalWindowFunctionTest {

  private static final KeySelector<EvalSample, String> KEY = EvalSample::key;

  private KeyedOneInputStreamOperatorTestHarness<String, EvalSample, EvalMetrics> harness;

  @BeforeEach
  void open() throws Exception {
    SlidingProcessingTimeWindows windows =
        SlidingProcessingTimeWindows.of(Duration.ofMillis(10_000), Duration.ofMillis(1_000));
    OneInputStreamOperator<EvalSample, EvalMetrics> operator =
        new WindowOperatorBuilder<EvalSample, String, TimeWindow>(
                windows,
                windows.getDefaultTrigger(),
                new ExecutionConfig(),
                TypeInformation.of(EvalSample.class),
                KEY,
                Types.STRING)
            .aggregate(
                new EvalAggregateFunction(),
                new EvalWindowFunction(),
                TypeInformation.of(EvalAccumulator.class));
    harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, KEY, Types.STRING);
    harness.open();
    harness.setProcessingTime(0);
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  @Test
  void aVersionsTurnVerdictAndSafetySamplesMeetInItsWindowApartFromOtherVersions()
      throws Exception {
    Interaction ok = chat("2.0.0", "the answer is 4", 100);
    Interaction refused = chat("2.0.0", "I cannot help with that.", 300);
    harness.setProcessingTime(500);
    add(EvalSample.ofTurn(rules(ok)));
    add(EvalSample.ofTurn(rules(refused)));
    JudgeVerdict verdict = new JudgeVerdict(0.5, "fail", "judge-model", "r");
    add(EvalSample.ofJudge(rules(ok).plus(verdict.label(), verdict.scoreColumn())).orElseThrow());
    add(EvalSample.ofSafety(refused, 1, 0));
    add(EvalSample.ofTurn(rules(chat("1.0.0", "the answer is 5", 200))));

    harness.setProcessingTime(1_000);

    List<EvalMetrics> fired = drain();
    assertThat(fired).extracting(EvalMetrics::agentVersion).containsExactly("1.0.0", "2.0.0");
    EvalMetrics v2 = fired.get(1);
    assertThat(v2.windowStartMs()).isEqualTo(-9_000);
    assertThat(v2.windowEndMs()).isEqualTo(1_000);
    assertThat(v2.turns()).isEqualTo(2);
    assertThat(v2.successRate()).isEqualTo(0.5);
    assertThat(v2.latencyP50Ms()).isBetween(95L, 105L);
    assertThat(v2.latencyP95Ms()).isBetween(285L, 315L);
    assertThat(v2.judged()).isEqualTo(1);
    assertThat(v2.judgeMeanScore()).isEqualTo(0.5);
    assertThat(v2.piiInOutput()).isEqualTo(1);
    assertThat(fired.get(0).turns()).isEqualTo(1);
    assertThat(fired.get(0).judged()).isZero();
  }

  @Test
  void eachSlideEmitsTheLastTenSecondsAndAnEmptyWindowEmitsNothing() throws Exception {
    harness.setProcessingTime(500);
    add(EvalSample.ofTurn(rules(chat("1.0.0", "first", 10))));
    harness.setProcessingTime(1_500);
    add(EvalSample.ofTurn(rules(chat("1.0.0", "second", 10))));

    harness.setProcessingTime(2_000);
    assertThat(drain()).extracting(EvalMetrics::turns).containsExactly(1L, 2L);

    harness.setProcessingTime(10_000);
    assertThat(drain()).extracting(EvalMetrics::turns).hasSize(8).containsOnly(2L);

    harness.setProcessingTime(11_000); // [1000, 11000): the first turn has slid out
    List<EvalMetrics> last = drain();
    assertThat(last).extracting(EvalMetrics::turns).containsExactly(1L);
    assertThat(last.get(0).windowStartMs()).isEqualTo(1_000);

    harness.setProcessingTime(12_000); // [2000, 12000): nothing in it
    assertThat(drain()).isEmpty();
  }

  private void add(EvalSample sample) throws Exception {
    harness.processElement(sample, harness.getProcessingTime());
  }

  /** The metrics fired since the last drain, in window order, then by version. */
  private List<EvalMetrics> drain() {
    List<EvalMetrics> out =
        harness.extractOutputValues().stream()
            .sorted(
                Comparator.comparingLong(EvalMetrics::windowEndMs)
                    .thenComparing(EvalMetrics::agentVersion))
            .toList();
    harness.getOutput().clear();
    return out;
  }

  private static LabeledInteraction rules(Interaction e) {
    return new LabeledInteraction(e, RuleLabeler.label(e), List.of());
  }

  private static Interaction chat(String version, String answer, long latencyMs) {
    return Interaction.builder()
        .sessionId("s")
        .tenant("acme")
        .agent("helper", version)
        .message(Message.user("what is 2+2?"))
        .message(Message.assistant(answer))
        .latencyMs(latencyMs)
        .build();
  }
}
