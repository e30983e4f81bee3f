package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A session client built on the JDK's own WebSocket, written from docs/protocol.md alone: it knows
 * nothing of the server's classes.
 */
final class FrameClient implements AutoCloseable {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
  private final List<JsonNode> seen = new ArrayList<>();
  private final WebSocket socket;
  private volatile int closeCode = -1;
  private volatile String closeReason;

  FrameClient(URI uri) {
    this.socket =
        dev.agentfactory.edge.TestHttp.client()
            .newWebSocketBuilder()
            .buildAsync(uri, new Listener())
            .orTimeout(30, TimeUnit.SECONDS)
            .join();
  }

  void send(String text) {
    socket.sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
  }

  void sendBinary(byte[] bytes) {
    socket.sendBinary(ByteBuffer.wrap(bytes), true).orTimeout(10, TimeUnit.SECONDS).join();
  }

  /** The next frame, failing the test if none arrives within the timeout. */
  JsonNode next(Duration timeout) throws InterruptedException {
    JsonNode frame = frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(frame).as("a frame within %s (seen so far: %s)", timeout, seen).isNotNull();
    seen.add(frame);
    return frame;
  }

  /** Frames up to and including the first that matches. */
  List<JsonNode> until(Predicate<JsonNode> last, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<JsonNode> got = new ArrayList<>();
    while (true) {
      JsonNode frame = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      got.add(frame);
      if (last.test(frame)) {
        return got;
      }
    }
  }

  /** Drops the connection without a close frame, as a network failure would. */
  void abort() {
    socket.abort();
  }

  /**
   * Closes with a close frame carrying {@code status} (3000-4999: the JDK client sends no other
   * status but 1000), as a client does that leaves without saying goodbye (1000 or 1001).
   */
  void closeWith(int status) {
    socket.sendClose(status, "").orTimeout(10, TimeUnit.SECONDS).join();
  }

  int closeCode() {
    return closeCode;
  }

  /** The reason of the server's close frame; null until it closed. */
  String closeReason() {
    return closeReason;
  }

  boolean isClosedByServer() {
    return closeCode >= 0;
  }

  @Override
  public void close() {
    if (socket.isOutputClosed() || closeCode >= 0) {
      return; // the server closed first
    }
    try {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(10, TimeUnit.SECONDS).join();
    } catch (java.util.concurrent.CompletionException e) {
      if (!(e.getCause() instanceof java.io.IOException)) {
        throw e; // an I/O error here only means the server closed first
      }
    }
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          frames.add(MAPPER.readTree(partial.toString()));
        } catch (Exception e) {
          throw new IllegalStateException("server sent a frame that is not JSON: " + partial, e);
        }
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closeReason = reason;
      closeCode = statusCode;
      return null;
    }
  }

  /** The {@code type} of each frame, in order. */
  static List<String> types(List<JsonNode> frames) {
    return frames.stream().map(f -> f.get("type").asText()).toList();
  }

  /** Whether the frame is the last one of an agent turn: {@code turn.completed} or an error. */
  static boolean endsATurn(JsonNode frame) {
    String type = frame.get("type").asText();
    return type.equals("turn.completed") || type.equals("error");
  }

  /** The output the command {@code id} streamed, its {@code exec.output} frames joined. */
  static String output(List<JsonNode> frames, String id) {
    StringBuilder out = new StringBuilder();
    for (JsonNode f : frames) {
      if (f.get("type").asText().equals("exec.output") && f.get("id").asText().equals(id)) {
        out.append(f.get("data").asText());
      }
    }
    return out.toString();
  }

  static JsonNode last(List<JsonNode> frames) {
    return frames.get(frames.size() - 1);
  }
}
