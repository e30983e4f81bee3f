package dev.agentfactory.jobs.pii;

import java.util.Locale;

/** Fake values, one per entity type, built from a hex digest so that they are deterministic. */
final class Pseudonyms {

  private Pseudonyms() {}

  /** A fake value of {@code type} for the digest {@code hex} (at least 16 hex digits). */
  static String fake(EntityType type, String hex) {
    String h8 = hex.substring(0, 8);
    return switch (type) {
      case EMAIL_ADDRESS -> "user-" + h8 + "@example.invalid";
      case PERSON -> "Person-" + h8;
      case DOMAIN_NAME -> "site-" + h8 + ".example";
      case IP_ADDRESS -> "192.0.2." + (Integer.parseInt(hex.substring(0, 2), 16) % 254 + 1);
      case PHONE_NUMBER -> "+1-555-01" + digits(hex, 2);
      case CREDIT_CARD -> "0000-0000-0000-" + digits(hex, 4);
      case US_SSN -> "000-00-" + digits(hex, 4);
      default -> type.name().toLowerCase(Locale.ROOT).replace('_', '-') + "-" + h8;
    };
  }

  private static String digits(String hex, int n) {
    long v = Long.parseUnsignedLong(hex.substring(0, 12), 16);
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append((char) ('0' + (v % 10)));
      v /= 10;
    }
    return sb.toString();
  }
}
