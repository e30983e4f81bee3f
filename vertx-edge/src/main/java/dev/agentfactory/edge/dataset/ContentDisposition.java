package dev.agentfactory.edge.dataset;

import java.nio.charset.StandardCharsets;

/**
 * The {@code Content-Disposition} of a download (RFC 6266) for any file name a dataset directory
 * can hold: {@code filename*=UTF-8''...} carries the name percent-encoded (RFC 8187), and {@code
 * filename="..."} an ASCII stand-in for clients that do not read the encoded form. Neither lets a
 * quote, a backslash, CR, LF or another control character into the header: written raw, a quote
 * ends the quoted name early and a line break ends the header (Vert.x refuses to send it).
 */
final class ContentDisposition {

  private static final String ATTR_CHAR_PUNCTUATION = "!#$&+-.^_`|~";
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private ContentDisposition() {}

  /** {@code attachment; filename="..."; filename*=UTF-8''...} for {@code fileName}. */
  static String attachment(String fileName) {
    return "attachment; filename=\""
        + asciiFallback(fileName)
        + "\"; filename*=UTF-8''"
        + encoded(fileName);
  }

  /**
   * The name with each character that is not printable ASCII, and each {@code "}, {@code \} and
   * {@code %} (which some clients would read as an escape, RFC 6266 appendix D), as {@code _}.
   */
  static String asciiFallback(String fileName) {
    StringBuilder out = new StringBuilder(fileName.length());
    fileName
        .codePoints()
        .forEach(
            c ->
                out.append(
                    c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%' ? (char) c : '_'));
    return out.toString();
  }

  /** The name's UTF-8 bytes, each outside RFC 8187's {@code attr-char} as {@code %XX}. */
  static String encoded(String fileName) {
    StringBuilder out = new StringBuilder(fileName.length());
    for (byte b : fileName.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || ATTR_CHAR_PUNCTUATION.indexOf(c) >= 0) {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    return out.toString();
  }
}
