package dev.agentfactory.edge.api;

import dev.agentfactory.edge.config.NodeOptions;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;

/**
 * The WebSocket routes' limit on a client message, 1 MiB ({@link #limit}), and their answer to a
 * message over it: close status 1009, as docs/protocol.md promises. Vert.x drops such a message and
 * only reports it to the socket's exception handler, which passes the error to {@link
 * #closeIfOversized}.
 */
public final class OversizedMessages {

  /** The largest client message (and frame) a WebSocket route takes. */
  public static final int MAX_MESSAGE_BYTES = NodeOptions.MAX_WEBSOCKET_MESSAGE_BYTES;

  private static final short CLOSE_STATUS = (short) WebSocketCloseStatus.MESSAGE_TOO_BIG.code();
  private static final String CLOSE_REASON = "message too big";

  private OversizedMessages() {}

  /** Sets the WebSocket layer's message and frame limits of {@code options}; returns them. */
  public static HttpServerOptions limit(HttpServerOptions options) {
    return options
        .setMaxWebSocketMessageSize(MAX_MESSAGE_BYTES)
        .setMaxWebSocketFrameSize(MAX_MESSAGE_BYTES);
  }

  /**
   * Closes {@code socket} with 1009 if {@code error} reports a client message over the limit; true
   * if it did. Call it at once, on the socket's own thread, from the socket's exception handler:
   * for a frame over the limit the connection is dropped as soon as that handler returns, and the
   * close frame must go out before.
   */
  public static boolean closeIfOversized(ServerWebSocket socket, Throwable error) {
    if (!isOversized(error)) {
      return false;
    }
    socket.close(CLOSE_STATUS, CLOSE_REASON);
    return true;
  }

  /**
   * For a socket that reads no client messages: drops what the client sends, closes the socket with
   * 1009 on a message over the limit, and passes any other socket error to {@code otherError}. The
   * WebSocket layer checks a fragmented message against the limit only while it joins the message
   * for a text or binary message handler, so both are set, to handlers that drop the message.
   */
  public static void ignoreMessages(ServerWebSocket socket, Handler<Throwable> otherError) {
    socket.textMessageHandler(text -> {});
    socket.binaryMessageHandler(bytes -> {});
    socket.exceptionHandler(
        e -> {
          if (!closeIfOversized(socket, e)) {
            otherError.handle(e);
          }
        });
  }

  /**
   * A single frame over the frame limit fails Netty's decoder with status 1009; a message whose
   * continuation frames add up to more than the message limit is reported by Vert.x's aggregator as
   * an {@link IllegalStateException}: in Vert.x 5.0 the only one a socket passes to its exception
   * handler (NodeSessionIT sends both kinds, so an upgrade that changes this fails it).
   */
  private static boolean isOversized(Throwable error) {
    if (error instanceof CorruptedWebSocketFrameException corrupted) {
      return corrupted.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code();
    }
    return error instanceof IllegalStateException;
  }
}
