package dev.agentfactory.connectors.dataset.version;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/** SHA-256 of a file's bytes, reporting bytes read as it goes. */
final class FileChecksum {

  private static final int BUFFER = 1 << 20;
  private static final long REPORT_EVERY = 8L << 20;

  private FileChecksum() {}

  /**
   * The lower-case hex SHA-256, as {@code sha256sum} prints it.
   *
   * @param bytesRead called with the bytes read since the previous call, every few megabytes and at
   *     the end
   */
  static String sha256(Path file, LongConsumer bytesRead) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
    byte[] buffer = new byte[BUFFER];
    long unreported = 0;
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        digest.update(buffer, 0, n);
        unreported += n;
        if (unreported >= REPORT_EVERY) {
          bytesRead.accept(unreported);
          unreported = 0;
        }
      }
    }
    bytesRead.accept(unreported);
    return HexFormat.of().formatHex(digest.digest());
  }

  /**
   * As {@link #sha256(Path, LongConsumer)}, failing as {@code io_error} naming {@code path} in
   * dataset {@code name}.
   */
  static String sha256(String name, Path file, String path, LongConsumer bytesRead) {
    try {
      return sha256(file, bytesRead);
    } catch (IOException e) {
      throw DatasetException.io("cannot read '" + path + "' in dataset '" + name + "'", e);
    }
  }
}
