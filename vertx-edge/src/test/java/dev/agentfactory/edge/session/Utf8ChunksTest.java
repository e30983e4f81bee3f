package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Utf8ChunksTest {

  @Test
  void aCharacterSplitAcrossChunksIsHeldBackUntilComplete() {
    byte[] bytes = "añ€😀".getBytes(StandardCharsets.UTF_8);
    Utf8Chunks chunks = new Utf8Chunks();
    StringBuilder out = new StringBuilder();

    for (int i = 0; i < bytes.length; i++) {
      String piece = chunks.decode(Arrays.copyOfRange(bytes, i, i + 1));
      assertThat(piece).doesNotContain("\uFFFD");
      out.append(piece);
    }
    out.append(chunks.finish());

    assertThat(out.toString()).isEqualTo("añ€😀");
  }

  @Test
  void invalidBytesBecomeReplacementCharacters() {
    Utf8Chunks chunks = new Utf8Chunks();

    String text = chunks.decode(new byte[] {'o', 'k', (byte) 0xff}) + chunks.finish();

    assertThat(text).isEqualTo("ok\uFFFD");
  }

  @Test
  void anIncompleteTailIsFlushedAsReplacementAtTheEnd() {
    Utf8Chunks chunks = new Utf8Chunks();

    assertThat(chunks.decode(new byte[] {'x', (byte) 0xe2, (byte) 0x82})).isEqualTo("x");
    assertThat(chunks.finish()).isEqualTo("\uFFFD");
  }
}
