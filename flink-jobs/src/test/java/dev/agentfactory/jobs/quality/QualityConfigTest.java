package dev.agentfactory.jobs.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class QualityConfigTest {

  @Test
  void defaultsAreTheDocumentedOnes() {
    QualityConfig config = QualityConfig.defaults();
    assertThat(config.maxContentBytes()).isEqualTo(1024 * 1024);
    assertThat(config.repeatedLineMinLines()).isEqualTo(10);
    assertThat(config.repeatedLineMaxShare()).isEqualTo(0.8);
    assertThat(config.nearDuplicateMinJaccard()).isEqualTo(0.8);
    assertThat(config.exactHashCapacity()).isEqualTo(10_000);
    assertThat(config.minHashCapacity()).isEqualTo(1_000);
    assertThat(config.stateTtl()).isEqualTo(Duration.ofHours(24));
  }

  @Test
  void invalidValuesAreRejectedNamingTheProperty() {
    QualityConfig d = QualityConfig.defaults();
    assertThatThrownBy(() -> d.withMaxContentBytes(0)).hasMessageStartingWith("max_content_bytes:");
    assertThatThrownBy(() -> d.withState(0, 1, Duration.ofHours(1)))
        .hasMessageStartingWith("exact_hash_capacity:");
    assertThatThrownBy(() -> d.withState(1, 1, Duration.ZERO)).hasMessageStartingWith("state_ttl:");
    assertThatThrownBy(
            () ->
                new QualityConfig(
                    1, 1.5, 0.02, 3, 10, 0.8, 3, 50, 0.3, 3, 8, 0.8, 10, 10, Duration.ofHours(1)))
        .hasMessageStartingWith("garbage_max_share:");
    assertThatThrownBy(
            () ->
                new QualityConfig(
                    1, 0.5, 0.02, 3, 10, 0.8, 3, 50, 0.3, 3, 8, 0, 10, 10, Duration.ofHours(1)))
        .hasMessageStartingWith("near_duplicate_min_jaccard:");
  }
}
