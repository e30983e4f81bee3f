package dev.agentfactory.sandbox.daemon;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Decodes a byte stream arriving in chunks as UTF-8 text without breaking characters that span two
 * chunks: an incomplete sequence at the end of a chunk waits for the next one. Invalid bytes become
 * U+FFFD.
 */
final class Utf8Chunks {

  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

  String decode(byte[] chunk) {
    pending.writeBytes(chunk);
    byte[] all = pending.toByteArray();
    int end = completeLength(all);
    pending.reset();
    pending.write(all, end, all.length - end);
    return new String(all, 0, end, StandardCharsets.UTF_8);
  }

  /** Whatever is still pending, decoded as it is. */
  String finish() {
    String rest = pending.toString(StandardCharsets.UTF_8);
    pending.reset();
    return rest;
  }

  /** The length of the longest prefix that does not end inside a multi-byte sequence. */
  static int completeLength(byte[] b) {
    int n = b.length;
    // look back at most 3 bytes for the lead byte of the last sequence
    for (int i = n - 1; i >= Math.max(0, n - 4); i--) {
      int c = b[i] & 0xff;
      if (c < 0x80) {
        return n; // ASCII: nothing cut
      }
      if (c >= 0xc0) {
        int need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        return n - i >= need ? n : i;
      }
      // continuation byte: keep looking for its lead
    }
    return n; // no lead byte in reach: invalid anyway, decode as is
  }
}
