package dev.agentfactory.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.dataset.Score;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.jobs.label.JudgeVerdict;
import dev.agentfactory.jobs.label.LabeledInteraction;
import dev.agentfactory.jobs.label.RuleLabeler;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvalAccumulatorTest {

  @Test
  void ratesPercentilesTokensSafetyAndJudgeScoresOfAWindow() throws Exception {
    EvalAccumulator a = new EvalAccumulator();
    EvalAccumulator b = new EvalAccumulator();
    for (int i = 1; i <= 100; i++) {
      Interaction chat =
          Interaction.builder()
              .sessionId("s")
              .tenant("acme")
              .agent("helper", "2.0.0")
              .message(Message.user("q" + i))
              .message(Message.assistant(i <= 90 ? "answer " + i : "I cannot help with that."))
              .usage(10, 20)
              .latencyMs(i * 10L)
              .build();
      LabeledInteraction labeled =
          new LabeledInteraction(
              chat,
              RuleLabeler.label(chat),
              i % 10 == 0
                  ? List.of(new Score(JudgeVerdict.SCORE, 0.5, "judge", "m", "r", false))
                  : List.of());
      EvalAccumulator acc = i % 2 == 0 ? a : b;
      acc.add(EvalSample.ofTurn(labeled));
      EvalSample.ofJudge(labeled).ifPresent(acc::add);
    }
    Interaction cmd =
        Interaction.sandboxCommand("acme", "s", 0, "helper", "2.0.0", "x", "y", 2, Duration.ZERO);
    a.add(EvalSample.ofTurn(new LabeledInteraction(cmd, RuleLabeler.label(cmd), List.of())));
    a.add(EvalSample.ofSafety(cmd, 2, 1));

    EvalMetrics m = a.merge(b).metrics(1_000, 11_000, 11_005);

    assertThat(m.turns()).isEqualTo(101);
    assertThat(m.successRate()).isCloseTo(90.0 / 101, within(1e-9));
    assertThat(m.toolCalls()).isEqualTo(1);
    assertThat(m.toolErrorRate()).isEqualTo(1.0);
    assertThat(m.latencyP50Ms()).isCloseTo(500L, within(25L));
    assertThat(m.latencyP95Ms()).isCloseTo(950L, within(48L));
    assertThat(m.inputTokens()).isEqualTo(1_000);
    assertThat(m.outputTokens()).isEqualTo(2_000);
    assertThat(m.piiInOutput()).isEqualTo(2);
    assertThat(m.secretLeaks()).isEqualTo(1);
    assertThat(m.judged()).isEqualTo(10);
    assertThat(m.judgeMeanScore()).isEqualTo(0.5);

    JsonNode json = new ObjectMapper().readTree(m.toJson());
    assertThat(json.get("agent_version").asText()).isEqualTo("2.0.0");
    assertThat(json.at("/latency_ms/p95").asLong()).isEqualTo(m.latencyP95Ms());
    assertThat(json.at("/safety/secret_leaks").asLong()).isEqualTo(1);
    assertThat(m.key()).isEqualTo("acme/helper/2.0.0");
  }

  @Test
  void anEmptyWindowHasNoRatesRatherThanZeroes() {
    EvalAccumulator acc = new EvalAccumulator();
    Interaction cmd = Interaction.sandboxCommand("t", "s", 0, "a", "1", "x", "y", 0, Duration.ZERO);
    acc.add(EvalSample.ofSafety(cmd, 0, 0));
    EvalMetrics m = acc.metrics(0, 1, 2);
    assertThat(m.successRate()).isNull();
    assertThat(m.toolErrorRate()).isNull();
    assertThat(m.latencyP50Ms()).isNull();
    assertThat(m.judgeMeanScore()).isNull();
  }

  @Test
  void latencyHistogramQuantilesAreWithinFivePercent() {
    LatencyHistogram h = new LatencyHistogram();
    for (long ms = 1; ms <= 10_000; ms++) {
      h.add(ms);
    }
    assertThat(h.quantile(0.5)).isCloseTo(5_000L, within(250L));
    assertThat(h.quantile(0.99)).isCloseTo(9_900L, within(495L));
    assertThat(new LatencyHistogram().quantile(0.5)).isEqualTo(-1);
  }
}
