package dev.agentfactory.edge.model;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds a Python arithmetic expression in a question such as "what is 12*(3+4)?" or "compute 2**10
 * - 1". The expression is checked against a small grammar (numbers, {@code + - * / // % **},
 * parentheses), so only well-formed arithmetic ever becomes code.
 */
final class ArithmeticQuestion {

  static final int MAX_LENGTH = 200;

  private static final Pattern LEAD =
      Pattern.compile(
          "^(please\\s+)?(what\\s+is|what's|whats|how\\s+much\\s+is|compute|calculate|evaluate"
              + "|eval|solve)\\s*:?\\s*",
          Pattern.CASE_INSENSITIVE);
  private static final Pattern TRAIL = Pattern.compile("[\\s?.!=]+$");

  private final String text;
  private int pos;

  private ArithmeticQuestion(String text) {
    this.text = text;
  }

  /**
   * The expression asked about, normalised for Python ({@code ^} and {@code ×} become operators).
   */
  static Optional<String> expression(String question) {
    String s = LEAD.matcher(question.strip()).replaceFirst("");
    s = TRAIL.matcher(s).replaceFirst("").strip();
    s = s.replace('×', '*').replace('÷', '/').replace("^", "**");
    if (s.isEmpty() || s.length() > MAX_LENGTH) {
      return Optional.empty();
    }
    ArithmeticQuestion parser = new ArithmeticQuestion(s);
    try {
      parser.expr(0);
      parser.skipSpaces();
      return parser.pos == s.length() ? Optional.of(s.replaceAll("\\s+", " ")) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  // expr := term (('+' | '-') term)*
  private void expr(int depth) {
    if (depth > 32) {
      throw new IllegalArgumentException("nested too deeply");
    }
    term(depth);
    while (peek("+") || peek("-")) {
      pos++;
      term(depth);
    }
  }

  // term := unary (('*' | '/' | '//' | '%') unary)*, where '**' belongs to power
  private void term(int depth) {
    unary(depth);
    while ((peek("*") && !peek("**")) || peek("/") || peek("%")) {
      pos += peek("//") ? 2 : 1;
      unary(depth);
    }
  }

  // unary := ('+' | '-') unary | power
  private void unary(int depth) {
    if (peek("+") || peek("-")) {
      pos++;
      unary(depth + 1);
    } else {
      power(depth);
    }
  }

  // power := atom ('**' unary)?
  private void power(int depth) {
    atom(depth);
    if (peek("**")) {
      pos += 2;
      unary(depth + 1);
    }
  }

  // atom := number | '(' expr ')'
  private void atom(int depth) {
    skipSpaces();
    if (peek("(")) {
      pos++;
      expr(depth + 1);
      if (!peek(")")) {
        throw new IllegalArgumentException("unbalanced parenthesis");
      }
      pos++;
      return;
    }
    int start = pos;
    while (pos < text.length()
        && (Character.isDigit(text.charAt(pos)) || text.charAt(pos) == '.')) {
      pos++;
    }
    String number = text.substring(start, pos);
    if (number.isEmpty()
        || number.chars().filter(c -> c == '.').count() > 1
        || number.equals(".")) {
      throw new IllegalArgumentException("expected a number at " + start);
    }
  }

  private boolean peek(String token) {
    skipSpaces();
    return text.startsWith(token, pos);
  }

  private void skipSpaces() {
    while (pos < text.length() && text.charAt(pos) == ' ') {
      pos++;
    }
  }
}
