package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A WebSocket client on a plain socket (RFC 6455) that can do what real clients do but library
 * clients hide: send a close frame and keep the TCP connection open, or send any frame at all,
 * broken ones included ({@link #sendRawFrame}).
 */
final class RawWebSocket implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final AtomicReference<Integer> closeCode = new AtomicReference<>();

  RawWebSocket(int port, String path) throws IOException {
    this(port, path, 0);
  }

  /**
   * {@code receiveBufferBytes} (0: the system's) caps the socket's receive window: a client that
   * then stops reading backs the server up after a few KiB instead of the tens of MiB that TCP
   * auto-tuning allows on loopback.
   */
  RawWebSocket(int port, String path, int receiveBufferBytes) throws IOException {
    socket = new Socket();
    if (receiveBufferBytes > 0) {
      socket.setReceiveBufferSize(receiveBufferBytes); // before connecting, to limit the window
    }
    socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
    socket.setSoTimeout(60_000);
    in = socket.getInputStream();
    out = socket.getOutputStream();
    out.write(
        ("GET "
                + path
                + " HTTP/1.1\r\nHost: 127.0.0.1:"
                + port
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed during the upgrade: " + head);
      }
      head.write(b);
    }
    assertThat(head.toString(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 101");
  }

  /**
   * The next text message, as JSON, its continuation frames joined (the server fragments messages
   * over its frame size); fails on a close frame.
   */
  JsonNode nextText() throws IOException {
    ByteArrayOutputStream message = null;
    while (true) {
      int[] opcode = new int[2];
      byte[] payload = readFrame(opcode);
      if (opcode[0] == 1 || (opcode[0] == 0 && message != null)) {
        if (message == null) {
          message = new ByteArrayOutputStream();
        }
        message.write(payload);
        if (opcode[1] == 1) {
          return JSON.readTree(message.toByteArray());
        }
      }
      if (opcode[0] == 8) {
        throw new IOException("closed by the server: " + closeCode.get());
      }
    }
  }

  /** The status of the server's close frame, once one was read; null before. */
  Integer closeCode() {
    return closeCode.get();
  }

  /**
   * What the server does next, in words a test compares: {@code "close 1002"} for a close frame
   * (with its status; {@code "close"} without one), {@code "text <message>"} for a text message, or
   * {@code "dropped without a close frame"} when the connection ends first.
   */
  String nextAnswer() throws IOException {
    int[] opcode = new int[1];
    byte[] payload;
    try {
      payload = readFrame(opcode);
    } catch (java.net.SocketTimeoutException e) {
      return "no answer";
    } catch (IOException e) {
      return "dropped without a close frame";
    }
    return switch (opcode[0]) {
      case 8 -> closeCode.get() == null ? "close" : "close " + closeCode.get();
      case 1 -> "text " + new String(payload, StandardCharsets.UTF_8);
      default -> "opcode " + opcode[0];
    };
  }

  /** Skips text frames until the server's close frame. */
  void awaitCloseFrame() throws IOException {
    int[] opcode = new int[1];
    do {
      readFrame(opcode);
    } while (opcode[0] != 8);
  }

  /** Reads one frame; {@code opcode[0]} is set to its opcode and, if it has room, [1] to FIN. */
  private byte[] readFrame(int[] opcode) throws IOException {
    int b0 = readByte();
    int b1 = readByte();
    opcode[0] = b0 & 0x0f;
    if (opcode.length > 1) {
      opcode[1] = b0 >>> 7;
    }
    long length = b1 & 0x7f;
    if (length == 126) {
      length = (readByte() << 8) | readByte();
    } else if (length == 127) {
      length = 0;
      for (int i = 0; i < 8; i++) {
        length = (length << 8) | readByte();
      }
    }
    byte[] payload = in.readNBytes((int) length);
    if (opcode[0] == 8 && payload.length >= 2) {
      closeCode.set(((payload[0] & 0xff) << 8) | (payload[1] & 0xff));
    }
    return payload;
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new IOException("connection closed by the server");
    }
    return b;
  }

  void sendText(String text) throws IOException {
    send(0x1, text.getBytes(StandardCharsets.UTF_8));
  }

  /** One text frame of {@code payload} as it is, UTF-8 or not. */
  void sendTextBytes(byte[] payload) throws IOException {
    send(0x1, payload);
  }

  void sendClose(int code) throws IOException {
    send(0x8, new byte[] {(byte) (code >> 8), (byte) code});
  }

  /** One text message as a text frame and continuation frames of at most {@code frameBytes}. */
  void sendFragmented(String text, int frameBytes) throws IOException {
    byte[] message = text.getBytes(StandardCharsets.UTF_8);
    for (int from = 0; from < message.length; from += frameBytes) {
      int to = Math.min(message.length, from + frameBytes);
      byte[] part = java.util.Arrays.copyOfRange(message, from, to);
      send(from == 0 ? 0x1 : 0x0, to == message.length, part.length, part);
    }
  }

  /**
   * The start of a text frame that declares {@code declaredLength} payload bytes but carries only
   * {@code sent} of them, as a client streaming a large frame does.
   */
  void sendTextFrameStart(long declaredLength, String sent) throws IOException {
    send(0x1, true, declaredLength, sent.getBytes(StandardCharsets.UTF_8));
  }

  private void send(int opcode, byte[] payload) throws IOException {
    send(opcode, true, payload.length, payload);
  }

  private void send(int opcode, boolean fin, long declaredLength, byte[] payload)
      throws IOException {
    writeFrame((fin ? 0x80 : 0) | opcode, true, declaredLength, payload);
  }

  /**
   * One frame as it is given, whether RFC 6455 allows it or not: {@code firstByte} is FIN, RSV1-3
   * and the opcode as they go on the wire; {@code masked} false sends the payload unmasked, which
   * no client may do.
   */
  void sendRawFrame(int firstByte, boolean masked, byte[] payload) throws IOException {
    writeFrame(firstByte, masked, payload.length, payload);
  }

  private void writeFrame(int firstByte, boolean masked, long declaredLength, byte[] payload)
      throws IOException {
    int maskBit = masked ? 0x80 : 0;
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write(firstByte);
    if (declaredLength < 126) {
      frame.write(maskBit | (int) declaredLength);
    } else if (declaredLength < 65_536) {
      frame.write(maskBit | 126);
      frame.write((int) (declaredLength >> 8));
      frame.write((int) declaredLength);
    } else {
      frame.write(maskBit | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) (declaredLength >> shift));
      }
    }
    byte[] mask = masked ? new byte[] {1, 2, 3, 4} : new byte[4];
    if (masked) {
      frame.write(mask);
    }
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i % 4]);
    }
    out.write(frame.toByteArray());
    out.flush();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
