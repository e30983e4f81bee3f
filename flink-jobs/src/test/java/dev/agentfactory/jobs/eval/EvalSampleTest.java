package dev.agentfactory.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import org.junit.jupiter.api.Test;

class EvalSampleTest {

  @Test
  void aSeriesKeyIsTheNamesJoinedByNulWhenTheyHoldNone() {
    assertThat(sample("acme", "shell", "2.0.0").key()).isEqualTo("acme\u0000shell\u00002.0.0");
  }

  @Test
  void seriesWhoseNamesHoldTheSeparatorGetKeysOfTheirOwn() {
    // One key would merge their windows into one accumulator, published under whichever names
    // came last: one tenant's turns counted in another tenant's metrics.
    assertThat(sample("acme", "a\u0000b", "1").key())
        .isNotEqualTo(sample("acme", "a", "b\u00001").key());
    assertThat(sample("acme\u0000a", "b", "1").key())
        .isNotEqualTo(sample("acme", "a\u0000b", "1").key());
    assertThat(sample("acme\u0000shell", "2.0.0", "x").key())
        .isNotEqualTo(sample("acme", "shell", "2.0.0\u0000x").key());
  }

  private static EvalSample sample(String tenant, String agent, String version) {
    Interaction event =
        Interaction.builder()
            .sessionId("s")
            .tenant(tenant)
            .agent(agent, version)
            .message(Message.user("q"))
            .build();
    return EvalSample.ofSafety(event, 0, 0);
  }
}
