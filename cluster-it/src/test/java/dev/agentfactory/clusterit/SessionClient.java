package dev.agentfactory.clusterit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One session over the JDK's WebSocket, written from docs/protocol.md alone. Every way a session
 * can end is turned into a {@link SessionOutcome}: served, told why (an error frame, an HTTP error,
 * a close status), or cut off.
 */
final class SessionClient implements AutoCloseable {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final AtomicInteger IDS = new AtomicInteger();

  /**
   * What the node said about the session: its id from {@code session.ready}; the sandbox, lease,
   * token and owner from {@code sandbox.leased}, empty until the first command leased one (the node
   * leases lazily).
   */
  record Ready(
      String node, String sessionId, String sandboxId, String leaseId, long token, String owner) {

    boolean leased() {
      return !sandboxId.isEmpty();
    }
  }

  private final String nodeName;
  private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
  private volatile WebSocket socket;
  private volatile int closeCode = -1;
  private volatile String closeReason = "";
  private volatile Throwable error;
  private volatile Ready ready;

  private SessionClient(String nodeName) {
    this.nodeName = nodeName;
  }

  /**
   * Opens a session on {@code node} and waits for its first frame. Returns the client with {@link
   * #ready()} set, or throws {@link Ended} saying how the attempt ended.
   */
  static SessionClient open(NodeContainer node, String key, Duration timeout) throws Ended {
    SessionClient client = new SessionClient(node.name());
    URI uri = URI.create(node.wsUrl() + "/v1/sessions?access_token=" + key);
    try {
      client.socket =
          HTTP.newWebSocketBuilder()
              .connectTimeout(timeout)
              .buildAsync(uri, client.new Listener())
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof WebSocketHandshakeException refused) {
        var response = refused.getResponse();
        throw new Ended(
            SessionOutcome.told(
                node.name(),
                "http " + response.statusCode() + " " + String.valueOf(response.body())));
      }
      throw new Ended(SessionOutcome.cutOff(node.name(), "connect: " + cause));
    } catch (java.util.concurrent.TimeoutException e) {
      throw new Ended(SessionOutcome.cutOff(node.name(), "connect timed out"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Ended(SessionOutcome.cutOff(node.name(), "interrupted"));
    }
    JsonNode first = client.next(timeout);
    if (first != null && "session.ready".equals(first.path("type").asText())) {
      client.ready =
          new Ready(
              node.name(),
              first.path("session_id").asText(),
              first.path("sandbox_id").asText(),
              first.path("lease_id").asText(),
              first.path("fencing_token").asLong(),
              first.path("node").asText());
      return client;
    }
    throw new Ended(client.endedBy(first, "no session.ready"));
  }

  Ready ready() {
    return ready;
  }

  /** Runs {@code echo} in the sandbox; returns null if it worked, else how the session ended. */
  SessionOutcome exec(Duration timeout) {
    String id = "c" + IDS.incrementAndGet();
    String marker = "ok-" + id;
    try {
      socket
          .sendText(
              "{\"v\":1,\"type\":\"exec\",\"id\":\""
                  + id
                  + "\",\"command\":\"echo "
                  + marker
                  + "\"}",
              true)
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      return endedBy(null, "send failed: " + e);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    StringBuilder out = new StringBuilder();
    while (true) {
      JsonNode frame = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      if (frame == null) {
        return endedBy(null, "no exec.exit for " + id);
      }
      String type = frame.path("type").asText();
      if (type.equals("sandbox.leased")) {
        ready =
            new Ready(
                nodeName,
                ready.sessionId(),
                frame.path("sandbox_id").asText(),
                frame.path("lease_id").asText(),
                frame.path("fencing_token").asLong(),
                frame.path("node").asText());
      } else if (type.equals("exec.output") && id.equals(frame.path("id").asText())) {
        out.append(frame.path("data").asText());
      } else if (type.equals("exec.exit") && id.equals(frame.path("id").asText())) {
        if (frame.path("exit_code").asInt(-1) == 0 && out.toString().contains(marker)) {
          return null;
        }
        return SessionOutcome.unexplained(nodeName, "exec " + id + " ended with " + frame);
      } else if (type.equals("error")) {
        return endedBy(frame, "error frame");
      }
    }
  }

  /** True once the node closed the connection or it failed. */
  boolean isGone() {
    return closeCode >= 0 || error != null;
  }

  /** Waits until the connection is gone; true if it went within the timeout. */
  boolean awaitGone(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!isGone() && System.nanoTime() < deadline) {
      // a ping makes a dead peer show: the write fails or the stack reports a reset
      try {
        socket.sendText("{\"v\":1,\"type\":\"ping\",\"id\":\"p\"}", true);
        Thread.sleep(200); // polling a socket's state: no event to wait on here
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (RuntimeException e) {
        error = e;
      }
    }
    return isGone();
  }

  /** The outcome if the client closes now with status 1000. */
  SessionOutcome closeNormally() {
    if (isGone()) {
      return endedBy(null, "gone before the client closed");
    }
    try {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
      return SessionOutcome.served(nodeName);
    } catch (Exception e) {
      return endedBy(null, "close failed: " + e);
    }
  }

  private JsonNode next(Duration timeout) {
    try {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        JsonNode frame = frames.poll(50, TimeUnit.MILLISECONDS);
        if (frame != null) {
          return frame;
        }
        if (isGone() || System.nanoTime() > deadline) {
          return frames.poll();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** How the session ended: an error frame or a close status tells why; else it was cut off. */
  private SessionOutcome endedBy(JsonNode frame, String context) {
    if (frame != null && "error".equals(frame.path("type").asText())) {
      return SessionOutcome.told(nodeName, "error " + frame.path("code").asText() + ": " + frame);
    }
    if (closeCode >= 0 && closeCode != 1006 && closeCode != WebSocket.NORMAL_CLOSURE) {
      return SessionOutcome.told(nodeName, "close " + closeCode + " " + closeReason);
    }
    if (closeCode >= 0 || error != null) {
      return SessionOutcome.cutOff(
          nodeName, context + ": connection lost (close " + closeCode + ", " + error + ")");
    }
    return SessionOutcome.unexplained(nodeName, context + ": no answer");
  }

  @Override
  public void close() {
    WebSocket ws = socket;
    if (ws != null && !isGone()) {
      ws.abort();
    }
  }

  /** A session attempt that ended before it was served. */
  static final class Ended extends Exception {
    private static final long serialVersionUID = 1L;
    final transient SessionOutcome outcome;

    Ended(SessionOutcome outcome) {
      super(outcome.toString(), null, false, false);
      this.outcome = outcome;
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
          error = new IllegalStateException("a frame that is not JSON: " + partial, e);
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

    @Override
    public void onError(WebSocket ws, Throwable e) {
      error = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }
  }
}
