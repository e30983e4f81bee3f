package dev.agentfactory.jobs.label;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Deterministic sampling: an example is in the sample when the first 64 bits of SHA-256 of its id,
 * as a fraction of 2⁶⁴, are below the rate. The same example is in or out on every replay and on
 * every task manager; raising the rate only adds examples.
 */
public final class Sampling {

  private Sampling() {}

  public static boolean sampled(String exampleId, double rate) {
    if (rate >= 1) {
      return true;
    }
    if (rate <= 0) {
      return false;
    }
    return fraction(exampleId) < rate;
  }

  /** The example's position in [0, 1). */
  static double fraction(String exampleId) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(exampleId.getBytes(StandardCharsets.UTF_8));
      long bits = 0;
      for (int i = 0; i < 8; i++) {
        bits = (bits << 8) | (digest[i] & 0xff);
      }
      // Unsigned 64-bit value over 2^64, with 53 bits of precision.
      return (bits >>> 11) * 0x1.0p-53;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
