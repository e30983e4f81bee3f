package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TraceTextTest {

  @Test
  void theSameSeedGivesTheSameTexts() {
    assertThat(TraceText.generate(200, 42L)).isEqualTo(TraceText.generate(200, 42L));
    assertThat(TraceText.generate(200, 42L)).isNotEqualTo(TraceText.generate(200, 43L));
  }

  @Test
  void itGivesTheAskedNumberOfMultiLineTexts() {
    List<String> texts = TraceText.generate(300, 7L);
    assertThat(texts).hasSize(300).allSatisfy(t -> assertThat(t).isNotBlank());
    assertThat(texts.stream().filter(t -> t.contains("\n")).count()).isGreaterThan(250);
    assertThat(TraceText.generate(0, 7L)).isEmpty();
  }

  @Test
  void textsHoldNoEmailAddresses() {
    // labelled as having no personal data: no e-mail, no user's home directory
    // (npm's package@1.2.3 is no address)
    assertThat(TraceText.generate(2000, 1L))
        .noneMatch(t -> t.matches("(?s).*\\w@[a-z-]+\\.[a-z]{2,}.*"))
        .noneMatch(t -> t.contains("/home/"));
  }
}
