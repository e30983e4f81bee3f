package dev.agentfactory.edge.api;

import dev.agentfactory.edge.config.NodeOptions;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import java.nio.charset.StandardCharsets;

/**
 * The WebSocket routes' settings ({@link #configure}) and their answer to a client that breaks RFC
 * 6455: a close frame with the status the RFC names before the connection goes (docs/protocol.md),
 * 1002 for a frame the protocol forbids, 1007 for a text message that is not UTF-8, 1009 for a
 * message over 1 MiB.
 *
 * <p>Netty's frame decoder finds the broken frames, but Vert.x builds it with {@code
 * closeOnProtocolViolation} off and, once the socket's exception handler has seen the error, drops
 * the connection without a close frame. So the socket's exception handler passes the error to
 * {@link #closeOnViolation}, which sends the close frame the decoder would have sent.
 */
public final class WebSocketProtocol {

  /** The largest client message (and frame) a WebSocket route takes. */
  public static final int MAX_MESSAGE_BYTES = NodeOptions.MAX_WEBSOCKET_MESSAGE_BYTES;

  /** A close frame's payload is at most 125 bytes, two of them the status. */
  private static final int MAX_REASON_BYTES = 123;

  private WebSocketProtocol() {}

  /**
   * Sets the WebSocket layer's message and frame limits of {@code options} and turns off WebSocket
   * compression; returns them. Vert.x lets a frame carry the RSV bits whenever it may compress
   * (both kinds are on by default), negotiated or not, so a frame with RSV1, 2 or 3 set was taken
   * as if they were clear. No extension is offered now, and the decoder refuses such a frame.
   */
  public static HttpServerOptions configure(HttpServerOptions options) {
    return options
        .setMaxWebSocketMessageSize(MAX_MESSAGE_BYTES)
        .setMaxWebSocketFrameSize(MAX_MESSAGE_BYTES)
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false);
  }

  /**
   * Closes {@code socket} with the status RFC 6455 names for {@code error}, if it is a client's
   * breach of the protocol (a frame the decoder refused, a message over the limit); true if it
   * closed it. Call it at once, on the socket's own thread, from the socket's exception handler:
   * for a frame the decoder refused the connection is dropped as soon as that handler returns, and
   * the close frame must go out before.
   */
  public static boolean closeOnViolation(ServerWebSocket socket, Throwable error) {
    if (error instanceof CorruptedWebSocketFrameException corrupted) {
      WebSocketCloseStatus status = corrupted.closeStatus();
      socket.close((short) status.code(), reason(corrupted.getMessage(), status));
      return true;
    }
    if (error instanceof IllegalStateException) {
      // Vert.x's aggregator, on continuation frames that add up to more than the message limit:
      // in Vert.x 5.0 the only IllegalStateException a socket passes to its exception handler
      // (NodeSessionIT sends such a message, so an upgrade that changes this fails it)
      WebSocketCloseStatus status = WebSocketCloseStatus.MESSAGE_TOO_BIG;
      socket.close((short) status.code(), status.reasonText());
      return true;
    }
    return false;
  }

  /**
   * Closes {@code socket} with 1007, unless it is closing already: a text message whose bytes are
   * not UTF-8, which RFC 6455 (section 8.1) says fails the connection.
   */
  public static void closeNotUtf8(ServerWebSocket socket) {
    if (socket.isClosed()) {
      return; // closing already (e.g. replaced by a resume): its close frame is out
    }
    socket.close(
        (short) WebSocketCloseStatus.INVALID_PAYLOAD_DATA.code(),
        "a text message must be UTF-8; its bytes were not");
  }

  /**
   * For a socket that reads no client messages: drops what the client sends, closes the socket as
   * {@link #closeOnViolation} does, and passes any other socket error to {@code otherError}. The
   * WebSocket layer checks a fragmented message against the limit only while it joins the message
   * for a text or binary message handler, so both are set, to handlers that drop the message.
   */
  public static void ignoreMessages(ServerWebSocket socket, Handler<Throwable> otherError) {
    socket.textMessageHandler(text -> {});
    socket.binaryMessageHandler(bytes -> {});
    socket.exceptionHandler(
        e -> {
          if (!closeOnViolation(socket, e)) {
            otherError.handle(e);
          }
        });
  }

  /** The decoder's own words, when they fit a close frame; else the status's name. */
  private static String reason(String message, WebSocketCloseStatus status) {
    if (message == null || message.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES) {
      return status.reasonText();
    }
    return message;
  }
}
