package dev.agentfactory.jobs.pii;

import java.util.Locale;

/**
 * A text to scan with what every detector would otherwise recompute: its lower-case form and
 * whether it has digits at all (most structured detectors need one and skip texts without).
 */
final class ScanText {

  final String value;
  private String lower;
  final boolean hasDigit;

  ScanText(String value) {
    this.value = value;
    boolean digit = false;
    for (int i = 0; i < value.length() && !digit; i++) {
      char c = value.charAt(i);
      digit = c >= '0' && c <= '9';
    }
    this.hasDigit = digit;
  }

  private Tokens tokens;

  /** The tokens of the text, computed once for the detectors that need them. */
  Tokens tokens() {
    if (tokens == null) {
      tokens = Tokens.of(value);
    }
    return tokens;
  }

  String lower() {
    if (lower == null) {
      lower = value.toLowerCase(Locale.ROOT);
    }
    return lower;
  }
}
