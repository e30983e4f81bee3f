package dev.agentfactory.connectors.event;

import java.time.Instant;

/** Constructor checks shared by the event records; failures name the JSON field. */
final class Checks {

  private Checks() {}

  static <T> T notNull(String field, T value) {
    if (value == null) {
      throw new InvalidEventException(field, "is required");
    }
    return value;
  }

  static String notBlank(String field, String value) {
    notNull(field, value);
    if (value.isBlank()) {
      throw new InvalidEventException(field, "must not be blank");
    }
    return value;
  }

  /**
   * An offending value for an error message, in quotes: at most {@value #MAX_QUOTED} characters of
   * it, then an ellipsis and its length. Messages travel in logs and dead-letter headers; a
   * megabyte value must not be repeated there.
   */
  static String quote(String value) {
    if (value.length() <= MAX_QUOTED) {
      return "'" + value + "'";
    }
    int end = Character.isHighSurrogate(value.charAt(MAX_QUOTED - 1)) ? MAX_QUOTED - 1 : MAX_QUOTED;
    return "'" + value.substring(0, end) + "…' (" + value.length() + " chars)";
  }

  static final int MAX_QUOTED = 100;

  static void notNegative(String field, long value) {
    if (value < 0) {
      throw new InvalidEventException(field, "must be >= 0 but was " + value);
    }
  }

  /** The earliest instant an event may carry: the Unix epoch. */
  static final Instant EARLIEST = Instant.EPOCH;

  /** The latest instant an event may carry: the last millisecond of year 9999. */
  static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

  /**
   * An instant the data plane can store: {@code Instant.toEpochMilli()} overflows beyond about ±292
   * million years, and the dataset's Parquet {@code timestamp-millis} columns and their readers
   * (four-digit years in ISO-8601 text, DuckDB, Arrow) want far less. No real turn happened outside
   * these bounds, so an instant beyond them is a producer's bug, rejected here rather than failing
   * the pipeline downstream.
   */
  static Instant inStorableRange(String field, Instant value) {
    notNull(field, value);
    if (value.isBefore(EARLIEST) || value.isAfter(LATEST)) {
      throw new InvalidEventException(
          field, "must be between " + EARLIEST + " and " + LATEST + " but was " + value);
    }
    return value;
  }
}
