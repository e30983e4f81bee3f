package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScrubPolicyTest {

  @Test
  void defaultsMaskEveryTypeUnderPiiV1() {
    ScrubPolicy policy = ScrubPolicy.defaults();
    assertThat(policy.version()).isEqualTo("pii-v1");
    assertThat(policy.actions())
        .hasSize(EntityType.values().length)
        .containsValue(ScrubAction.MASK);
    assertThat(policy.needsKey()).isFalse();
  }

  @Test
  void versionMustBeAShortLowerCaseName() {
    assertThatThrownBy(() -> ScrubPolicy.maskAll("")).hasMessageContaining("version");
    assertThatThrownBy(() -> ScrubPolicy.maskAll("PII v1")).hasMessageContaining("version");
    assertThatThrownBy(() -> ScrubPolicy.maskAll(null)).hasMessageContaining("version");
  }

  @Test
  void everyTypeNeedsAnAction() {
    Map<EntityType, ScrubAction> partial = new EnumMap<>(EntityType.class);
    partial.put(EntityType.PERSON, ScrubAction.MASK);
    assertThatThrownBy(() -> new ScrubPolicy("pii-v1", partial))
        .hasMessageContaining("no action for");
  }

  @Test
  void withChangesOneTypeAndKeepsTheRest() {
    ScrubPolicy policy = ScrubPolicy.defaults().with(EntityType.EMAIL_ADDRESS, ScrubAction.HASH);
    assertThat(policy.actionFor(EntityType.EMAIL_ADDRESS)).isEqualTo(ScrubAction.HASH);
    assertThat(policy.actionFor(EntityType.PERSON)).isEqualTo(ScrubAction.MASK);
    assertThat(policy.needsKey()).isTrue();
  }

  @Test
  void hashingWithoutAKeyIsRefused() {
    ScrubPolicy policy = ScrubPolicy.defaults().with(EntityType.PERSON, ScrubAction.PSEUDONYMISE);
    assertThatThrownBy(() -> new Scrubber(PiiScanner.patternsOnly(), policy, new byte[4]))
        .hasMessageContaining("scrub key");
  }
}
