package dev.agentfactory.sandbox.init;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Encodes and decodes af-init frames. Stateless; callers serialise writes to one stream. */
public final class InitProtocol {

  /** Same limit as af-init's MAX_FRAME: anything larger is a broken stream, not data. */
  public static final int MAX_FRAME_BYTES = 4 << 20;

  static final int HEADER_BYTES = 5;

  private InitProtocol() {}

  /** How a command ended, as init reports it. */
  public record Exit(boolean signaled, int code) {}

  public static byte[] encode(InitFrame frame) {
    byte[] payload = frame.payload();
    ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES + payload.length);
    buf.put((byte) frame.type().code()).putInt(payload.length).put(payload);
    return buf.array();
  }

  public static void write(OutputStream out, InitFrame frame) throws IOException {
    out.write(encode(frame));
    out.flush();
  }

  /**
   * Reads the next frame.
   *
   * @return the frame, or {@code null} when the stream ended cleanly between frames
   * @throws EOFException when the stream ended inside a frame
   */
  public static InitFrame read(InputStream in) throws IOException {
    int type = in.read();
    if (type < 0) {
      return null;
    }
    DataInputStream data = new DataInputStream(in);
    int length = data.readInt();
    if (length < 0 || length > MAX_FRAME_BYTES) {
      throw new IOException("frame length " + Integer.toUnsignedString(length) + " out of range");
    }
    byte[] payload = new byte[length];
    data.readFully(payload);
    return new InitFrame(InitFrame.Type.of(type), payload);
  }

  /**
   * The EXEC payload: {@code u32 argc}, argc NUL-terminated argv strings, then NUL-terminated
   * {@code KEY=VALUE} strings.
   */
  public static InitFrame exec(List<String> argv, Map<String, String> env) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ByteBuffer.allocate(4).putInt(argv.size()).array());
    for (String arg : argv) {
      writeString(out, "argv", arg);
    }
    env.forEach(
        (key, value) -> {
          if (key.isEmpty() || key.indexOf('=') >= 0) {
            throw new IllegalArgumentException("env key must be non-empty without '=': " + key);
          }
          writeString(out, "env", key + "=" + value);
        });
    byte[] payload = out.toByteArray();
    if (payload.length > MAX_FRAME_BYTES) {
      throw new IllegalArgumentException("argv and env exceed " + MAX_FRAME_BYTES + " bytes");
    }
    return new InitFrame(InitFrame.Type.EXEC, payload);
  }

  public static Exit decodeExit(byte[] payload) {
    if (payload.length != 5) {
      throw new IllegalArgumentException("EXIT payload must be 5 bytes, was " + payload.length);
    }
    ByteBuffer buf = ByteBuffer.wrap(payload);
    return new Exit(buf.get() == 1, buf.getInt());
  }

  private static void writeString(ByteArrayOutputStream out, String what, String s) {
    // C strings: an embedded NUL would silently split the argument
    if (s.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(what + " must not contain NUL characters");
    }
    out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    out.write(0);
  }
}
