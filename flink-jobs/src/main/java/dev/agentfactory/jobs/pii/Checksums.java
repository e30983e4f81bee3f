package dev.agentfactory.jobs.pii;

/** The check digits that separate real card and account numbers from random digit runs. */
final class Checksums {

  private Checksums() {}

  /** Luhn (mod 10) over the digits of {@code s}; other characters are ignored. */
  static boolean luhn(CharSequence s) {
    int sum = 0;
    int digits = 0;
    for (int i = s.length() - 1; i >= 0; i--) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        continue;
      }
      int d = c - '0';
      if ((digits & 1) == 1) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      digits++;
    }
    return digits >= 12 && sum % 10 == 0;
  }

  /**
   * ISO 13616 IBAN check: country code, two check digits, then the BBAN; spaces are ignored. The
   * first four characters move to the end, letters become 10..35, and the number mod 97 must be 1.
   */
  static boolean iban(CharSequence s) {
    StringBuilder compact = new StringBuilder(34);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != ' ') {
        compact.append(Character.toUpperCase(c));
      }
    }
    int n = compact.length();
    if (n < 15 || n > 34) {
      return false;
    }
    for (int i = 0; i < 4; i++) {
      char c = compact.charAt(i);
      boolean ok = i < 2 ? c >= 'A' && c <= 'Z' : c >= '0' && c <= '9';
      if (!ok) {
        return false;
      }
    }
    int mod = 0;
    for (int k = 0; k < n; k++) {
      char c = compact.charAt((k + 4) % n);
      if (c >= '0' && c <= '9') {
        mod = (mod * 10 + (c - '0')) % 97;
      } else if (c >= 'A' && c <= 'Z') {
        mod = (mod * 100 + (c - 'A' + 10)) % 97;
      } else {
        return false;
      }
    }
    return mod == 1;
  }
}
