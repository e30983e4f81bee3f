package dev.agentfactory.edge.dataset;

import java.math.BigInteger;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one byte range a download serves ({@code Range: bytes=...}, RFC 9110 14.1.2): {@code
 * first}-{@code last} inclusive of a file of {@code size} bytes, so a client resumes a large
 * dataset file where it broke off instead of fetching it again.
 *
 * <pre>{@code
 * ByteRange.parse("bytes=100-", null, 1000)   // Optional[bytes 100-999/1000]
 * ByteRange.parse("bytes=0-1,5-9", null, 1000) // empty: several ranges, the whole file is sent
 * }</pre>
 */
record ByteRange(long first, long last, long size) {

  private static final Pattern ONE_RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

  /** Thrown for a range that is well formed but starts past the end of the file: 416. */
  static final class Unsatisfiable extends Exception {
    private static final long serialVersionUID = 1L;

    Unsatisfiable(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The range to send, or empty to send the whole file: no {@code Range}, one that is not a single
   * byte range (another unit, several ranges, a malformed one: RFC 9110 14.2 lets a server ignore
   * those), or an {@code If-Range} (the download gives no validator it could match, so the whole
   * file is the safe answer). A last byte past the end is the end of the file; a suffix {@code -n}
   * is the last n bytes.
   *
   * @throws Unsatisfiable for a first byte at or past the end, or a suffix of zero bytes
   */
  static Optional<ByteRange> parse(String range, String ifRange, long size) throws Unsatisfiable {
    if (range == null || ifRange != null) {
      return Optional.empty();
    }
    Matcher m = ONE_RANGE.matcher(range.trim());
    if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
      return Optional.empty();
    }
    if (m.group(1).isEmpty()) {
      long suffix = position(m.group(2));
      if (suffix == 0 || size == 0) {
        throw new Unsatisfiable(
            "the range " + range + " selects no byte of a " + size + "-byte file");
      }
      return Optional.of(new ByteRange(Math.max(0, size - suffix), size - 1, size));
    }
    // compared at full length: two positions past what a long holds still differ
    if (!m.group(2).isEmpty()
        && new BigInteger(m.group(2)).compareTo(new BigInteger(m.group(1))) < 0) {
      return Optional.empty(); // invalid (RFC 9110 14.1.1): ignored
    }
    long first = position(m.group(1));
    long last = m.group(2).isEmpty() ? size - 1 : position(m.group(2));
    if (first >= size) {
      throw new Unsatisfiable(
          "the range " + range + " starts at or past the end of the " + size + "-byte file");
    }
    return Optional.of(new ByteRange(first, Math.min(last, size - 1), size));
  }

  /**
   * A byte position of any length (RFC 9110 14.1.1 asks for large numerals to be expected): one
   * past what a long holds is past the end of every file, so it saturates at {@link
   * Long#MAX_VALUE}.
   */
  private static long position(String digits) {
    BigInteger value = new BigInteger(digits);
    return value.bitLength() < Long.SIZE ? value.longValue() : Long.MAX_VALUE;
  }

  long length() {
    return last - first + 1;
  }

  /** The {@code Content-Range} of a 206: {@code bytes 0-3/3477}. */
  String contentRange() {
    return "bytes " + first + "-" + last + "/" + size;
  }

  /** The {@code Content-Range} of a 416: {@code bytes *}{@code /3477}. */
  static String unsatisfied(long size) {
    return "bytes */" + size;
  }
}
