package dev.agentfactory.connectors.dataset.version;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DatasetNameTest {

  @ParameterizedTest
  @ValueSource(strings = {"sft", "a", "dpo_pairs", "tool-calls-2", "x0"})
  void slugsAreValid(String name) {
    assertThat(DatasetName.isValid(name)).isTrue();
    assertThat(DatasetName.requireValid(name)).isEqualTo(name);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "Sft",
        "1sft",
        "_versions",
        "-x",
        ".hidden",
        "..",
        "../sft",
        "a/b",
        "a b",
        "sft\n",
        "é"
      })
  void everythingElseIsAnInvalidName(String name) {
    assertThat(DatasetName.isValid(name)).isFalse();
    assertThatThrownBy(() -> DatasetName.requireValid(name))
        .isInstanceOfSatisfying(
            DatasetException.class,
            e -> {
              assertThat(e.code()).isEqualTo(DatasetException.Code.INVALID_NAME);
              assertThat(e.retriable()).isFalse();
            })
        .hasMessageContaining(name);
  }

  @Test
  void nullAndOverlongNamesAreInvalid() {
    assertThat(DatasetName.isValid(null)).isFalse();
    assertThat(DatasetName.isValid("a".repeat(64))).isTrue();
    assertThat(DatasetName.isValid("a".repeat(65))).isFalse();
  }
}
