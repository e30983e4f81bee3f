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
      case IP_ADDRESS -> testNet(Integer.parseInt(hex.substring(0, 4), 16) % (3 * 254));
      // 555-0100..0199 is kept for fiction in every NANP area code (area codes 200-999): 80 000
      // fakes, so two numbers of one conversation rarely share one
      case PHONE_NUMBER ->
          "+1-"
              + (200 + Long.parseUnsignedLong(hex.substring(12, 16), 16) % 800)
              + "-555-01"
              + digits(hex, 2);
      case CREDIT_CARD -> "0000-0000-0000-" + digits(hex, 4);
      case US_SSN -> "000-00-" + digits(hex, 4);
      default -> type.name().toLowerCase(Locale.ROOT).replace('_', '-') + "-" + h8;
    };
  }

  /** One of the 762 host addresses of the three documentation networks (RFC 5737). */
  private static String testNet(int i) {
    String net =
        switch (i / 254) {
          case 0 -> "192.0.2.";
          case 1 -> "198.51.100.";
          default -> "203.0.113.";
        };
    return net + (i % 254 + 1);
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
