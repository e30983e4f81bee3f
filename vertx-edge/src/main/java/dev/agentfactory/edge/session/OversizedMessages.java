package dev.agentfactory.edge.session;

import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;

/**
 * Recognises a client message over the WebSocket layer's limits ({@code
 * HttpServerOptions.setMaxWebSocketMessageSize} and {@code setMaxWebSocketFrameSize}) among the
 * errors a socket reports. Vert.x drops such a message and only reports it: the session answers it
 * as docs/protocol.md promises, with close status 1009.
 */
final class OversizedMessages {

  static final short CLOSE_STATUS = (short) WebSocketCloseStatus.MESSAGE_TOO_BIG.code();
  static final String CLOSE_REASON = "message too big";

  private OversizedMessages() {}

  /**
   * A single frame over the frame limit fails Netty's decoder with status 1009; a message whose
   * continuation frames add up to more than the message limit is reported by Vert.x's aggregator as
   * an {@link IllegalStateException}: in Vert.x 5.0 the only one a socket passes to its exception
   * handler (NodeSessionIT sends both kinds, so an upgrade that changes this fails it).
   */
  static boolean isOversized(Throwable error) {
    if (error instanceof CorruptedWebSocketFrameException corrupted) {
      return corrupted.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code();
    }
    return error instanceof IllegalStateException;
  }
}
