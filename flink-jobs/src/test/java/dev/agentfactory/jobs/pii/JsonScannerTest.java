package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JsonScannerTest {

  /** The quick test before a text's quoted keys are read must let every credential key through. */
  @Test
  void everyCredentialKeyPartAndSegmentHoldsAKeyHint() {
    Set<String> words = new HashSet<>(JsonScanner.SECRET_KEY_PARTS);
    words.addAll(JsonScanner.SECRET_KEY_SEGMENTS);
    for (String word : words) {
      assertThat(JsonScanner.mayHoldASecretKey(word)).as(word).isTrue();
      assertThat(JsonScanner.isSecretKey(word)).as(word).isTrue();
    }
    assertThat(JsonScanner.mayHoldASecretKey("{\"user\": \"ann\", \"count\": 3}")).isFalse();
  }
}
