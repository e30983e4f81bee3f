package dev.agentfactory.edge.session;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;

/**
 * Checks that every text message of a socket is UTF-8, as RFC 6455 requires. Vert.x joins a text
 * message's frames and decodes it leniently, with U+FFFD for bytes that are not UTF-8, so a command
 * or message would reach the sandbox or the model with characters the client never sent. The
 * socket's text message handler gives the joined text to {@link #joined}; its frame handler, which
 * Vert.x calls after that one for the same frame, gives every frame to {@link #frame}, which checks
 * the bytes as they come (a character may span two frames) and says at a message's last frame
 * whether to take it.
 */
final class Utf8TextMessages {

  /** The end of a text message: {@code text} is null when its bytes were not UTF-8. */
  record Message(String text) {}

  private boolean inText;
  private boolean valid;
  private String joined;

  /** Continuation bytes the current character still needs, and the range of the next one. */
  private int need;

  private int low;
  private int high;

  /** From the socket's text message handler. */
  void joined(String text) {
    joined = text;
  }

  /**
   * From the socket's frame handler: the message a final text frame ends, or null for any other
   * frame and for a message the socket dropped (over the size limit: it closes with 1009).
   */
  Message frame(WebSocketFrame frame) {
    if (frame.isText()) {
      inText = true;
      valid = true;
      need = 0;
    } else if (!frame.isContinuation() || !inText) {
      return null;
    }
    Buffer bytes = frame.binaryData();
    for (int i = 0; valid && i < bytes.length(); i++) {
      accept(bytes.getByte(i) & 0xff);
    }
    if (!frame.isFinal()) {
      return null;
    }
    inText = false;
    String text = joined;
    joined = null;
    if (text == null) {
      return null;
    }
    return new Message(valid && need == 0 ? text : null);
  }

  /** One byte of UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). */
  private void accept(int b) {
    if (need > 0) {
      if (b < low || b > high) {
        valid = false;
      }
      need--;
      low = 0x80;
      high = 0xBF;
      return;
    }
    if (b < 0x80) {
      return;
    }
    low = 0x80;
    high = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      need = 2;
      low = b == 0xE0 ? 0xA0 : 0x80;
      high = b == 0xED ? 0x9F : 0xBF;
    } else if (b >= 0xF0 && b <= 0xF4) {
      need = 3;
      low = b == 0xF0 ? 0x90 : 0x80;
      high = b == 0xF4 ? 0x8F : 0xBF;
    } else {
      valid = false;
    }
  }
}
