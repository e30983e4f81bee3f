package dev.agentfactory.edge.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteRangeTest {

  @Test
  void aSingleRangeIsServedAndEndsAtTheEndOfTheFile() throws Exception {
    assertThat(ByteRange.parse("bytes=0-3", null, 1000)).contains(new ByteRange(0, 3, 1000));
    assertThat(ByteRange.parse("bytes=100-", null, 1000)).contains(new ByteRange(100, 999, 1000));
    assertThat(ByteRange.parse("bytes=990-5000", null, 1000))
        .contains(new ByteRange(990, 999, 1000));
    assertThat(ByteRange.parse("bytes=-8", null, 1000)).contains(new ByteRange(992, 999, 1000));
    assertThat(ByteRange.parse("bytes=-5000", null, 1000)).contains(new ByteRange(0, 999, 1000));
    assertThat(new ByteRange(0, 3, 1000).contentRange()).isEqualTo("bytes 0-3/1000");
    assertThat(new ByteRange(0, 3, 1000).length()).isEqualTo(4);
  }

  @Test
  void whatIsNotOneValidByteRangeAsksForTheWholeFile() throws Exception {
    for (String ignored :
        new String[] {
          null,
          "bytes=0-1,5-9",
          "items=0-3",
          "bytes=5-2",
          "bytes=-",
          "bytes=a-b",
          "bytes 0-3",
          "bytes=99999999999999999999-5",
          "bytes=99999999999999999999-99999999999999999998"
        }) {
      assertThat(ByteRange.parse(ignored, null, 1000)).as(ignored).isEmpty();
    }
    assertThat(ByteRange.parse("bytes=0-3", "\"some-etag\"", 1000))
        .as("the download gives no validator an If-Range could match")
        .isEmpty();
  }

  @Test
  void aRangeThatStartsPastTheEndIsUnsatisfiable() {
    assertThatThrownBy(() -> ByteRange.parse("bytes=1000-", null, 1000))
        .isInstanceOf(ByteRange.Unsatisfiable.class)
        .hasMessageContaining("1000-byte file");
    assertThatThrownBy(() -> ByteRange.parse("bytes=-0", null, 1000))
        .isInstanceOf(ByteRange.Unsatisfiable.class);
    assertThat(ByteRange.unsatisfied(1000)).isEqualTo("bytes */1000");
  }

  @Test
  void positionsTooLargeForALongAreFarPastTheEndOfTheFile() throws Exception {
    assertThatThrownBy(() -> ByteRange.parse("bytes=99999999999999999999-", null, 1000))
        .isInstanceOf(ByteRange.Unsatisfiable.class)
        .hasMessageContaining("starts at or past the end");
    assertThat(ByteRange.parse("bytes=0-99999999999999999999", null, 1000))
        .contains(new ByteRange(0, 999, 1000));
    assertThat(ByteRange.parse("bytes=-99999999999999999999", null, 1000))
        .contains(new ByteRange(0, 999, 1000));
    assertThat(
            ByteRange.parse(
                "bytes=00000000000000000000000010-00000000000000000000000019", null, 1000))
        .contains(new ByteRange(10, 19, 1000));
  }
}
