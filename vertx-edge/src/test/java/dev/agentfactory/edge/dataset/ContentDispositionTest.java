package dev.agentfactory.edge.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ContentDispositionTest {

  @Test
  void aPlainNameIsTheSameInBothForms() {
    assertThat(ContentDisposition.attachment("part-a-0.parquet"))
        .isEqualTo("attachment; filename=\"part-a-0.parquet\"; filename*=UTF-8''part-a-0.parquet");
  }

  @Test
  void quotesBackslashesAndLineBreaksNeverReachTheHeaderRaw() {
    assertThat(ContentDisposition.attachment("a\"b\\c\r\nd%e f.parquet"))
        .isEqualTo(
            "attachment; filename=\"a_b_c__d_e f.parquet\";"
                + " filename*=UTF-8''a%22b%5Cc%0D%0Ad%25e%20f.parquet");
  }

  @Test
  void aNameBeyondAsciiIsPercentEncodedAsUtf8WithOneStandInPerCharacter() {
    assertThat(ContentDisposition.encoded("é数\uD83D\uDE00;"))
        .isEqualTo("%C3%A9%E6%95%B0%F0%9F%98%80%3B");
    assertThat(ContentDisposition.asciiFallback("é数\uD83D\uDE00;")).isEqualTo("___;");
  }
}
