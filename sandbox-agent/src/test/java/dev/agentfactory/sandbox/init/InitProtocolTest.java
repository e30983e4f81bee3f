package dev.agentfactory.sandbox.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InitProtocolTest {

  @Test
  void framesRoundTripThroughAStream() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    InitProtocol.write(out, new InitFrame(InitFrame.Type.STDOUT, bytes("hello")));
    InitProtocol.write(out, InitFrame.of(InitFrame.Type.READY));
    ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());

    InitFrame first = InitProtocol.read(in);
    InitFrame second = InitProtocol.read(in);

    assertThat(first.type()).isEqualTo(InitFrame.Type.STDOUT);
    assertThat(first.payload()).isEqualTo(bytes("hello"));
    assertThat(second.type()).isEqualTo(InitFrame.Type.READY);
    assertThat(second.payload()).isEmpty();
    assertThat(InitProtocol.read(in)).isNull();
  }

  @Test
  void headerIsTypeThenBigEndianLength() {
    byte[] encoded = InitProtocol.encode(new InitFrame(InitFrame.Type.STDERR, new byte[258]));

    assertThat(Arrays.copyOf(encoded, 5)).containsExactly(0x12, 0, 0, 1, 2);
    assertThat(encoded).hasSize(5 + 258);
  }

  @Test
  void streamEndingInsideAFrameIsAnError() {
    byte[] encoded = InitProtocol.encode(new InitFrame(InitFrame.Type.STDOUT, bytes("abc")));
    ByteArrayInputStream in = new ByteArrayInputStream(Arrays.copyOf(encoded, 6));

    assertThatThrownBy(() -> InitProtocol.read(in)).isInstanceOf(EOFException.class);
  }

  @Test
  void oversizedLengthIsRejectedBeforeAllocating() {
    byte[] header = {0x11, 0x7f, 0, 0, 0};

    assertThatThrownBy(() -> InitProtocol.read(new ByteArrayInputStream(header)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("out of range");
  }

  @Test
  void unknownFrameTypeIsRejected() {
    byte[] frame = {0x7e, 0, 0, 0, 0};

    assertThatThrownBy(() -> InitProtocol.read(new ByteArrayInputStream(frame)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0x7e");
  }

  @Test
  void execPayloadIsArgcThenNulTerminatedArgvThenEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("A", "1");
    InitFrame frame = InitProtocol.exec(List.of("sh", "-c", "x"), env);

    assertThat(frame.type()).isEqualTo(InitFrame.Type.EXEC);
    assertThat(frame.payload())
        .containsExactly(0, 0, 0, 3, 's', 'h', 0, '-', 'c', 0, 'x', 0, 'A', '=', '1', 0);
  }

  @Test
  void execRejectsNulInArguments() {
    assertThatThrownBy(() -> InitProtocol.exec(List.of("a\0b"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("argv");
  }

  @Test
  void execRejectsEnvKeysWithEquals() {
    assertThatThrownBy(() -> InitProtocol.exec(List.of("true"), Map.of("A=B", "c")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("env key");
  }

  @Test
  void exitPayloadDecodesKindAndCode() {
    assertThat(InitProtocol.decodeExit(new byte[] {0, 0, 0, 0, 7}))
        .isEqualTo(new InitProtocol.Exit(false, 7));
    assertThat(InitProtocol.decodeExit(new byte[] {1, 0, 0, 0, 9}))
        .isEqualTo(new InitProtocol.Exit(true, 9));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
