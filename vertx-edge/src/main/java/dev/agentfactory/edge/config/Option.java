package dev.agentfactory.edge.config;

import java.util.Objects;
import java.util.function.Function;

/**
 * A typed configuration key. Every option can be set as a command-line flag {@code --key=value}, an
 * environment variable, or a system property {@code af.key}; the first of those found wins, in that
 * order, over the default.
 *
 * @param key the flag and property name, e.g. {@code http.port}
 * @param env the environment variable, e.g. {@code AF_HTTP_PORT}
 * @param defaultValue the default as text; empty means "not set"
 * @param description one sentence for the configuration reference
 * @param parser turns the text into the value; throws {@link IllegalArgumentException} on bad text
 */
public record Option<T>(
    String key, String env, String defaultValue, String description, Function<String, T> parser) {

  public Option {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(defaultValue, "defaultValue");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(parser, "parser");
  }

  static Option<String> string(String key, String env, String defaultValue, String description) {
    return new Option<>(key, env, defaultValue, description, Function.identity());
  }

  static Option<Integer> port(String key, String env, int defaultValue, String description) {
    return new Option<>(
        key,
        env,
        Integer.toString(defaultValue),
        description,
        text -> {
          int port = wholeNumber(text, "must be a port from 0 to 65535");
          if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("must be a port from 0 to 65535");
          }
          return port;
        });
  }

  static Option<Boolean> bool(String key, String env, boolean defaultValue, String description) {
    return new Option<>(
        key,
        env,
        Boolean.toString(defaultValue),
        description,
        text ->
            switch (text.trim()) {
              case "true" -> true;
              case "false" -> false;
              default -> throw new IllegalArgumentException("must be true or false");
            });
  }

  /** A number from 0 to 1, e.g. a share of turns. */
  static Option<Double> fraction(String key, String env, double defaultValue, String desc) {
    return new Option<>(
        key,
        env,
        Double.toString(defaultValue),
        desc,
        text -> {
          double value = Double.parseDouble(text.trim());
          if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException("must be a number from 0 to 1");
          }
          return value;
        });
  }

  /** An http or https URL; empty means "not set". */
  static Option<String> httpUrl(String key, String env, String desc) {
    return new Option<>(
        key,
        env,
        "",
        desc,
        text -> {
          String url = text.trim();
          if (!url.isEmpty() && !url.startsWith("http://") && !url.startsWith("https://")) {
            throw new IllegalArgumentException("must be an http:// or https:// URL");
          }
          try {
            java.net.URI.create(url);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a URL: " + e.getMessage(), e);
          }
          return url;
        });
  }

  static Option<Integer> positiveInt(String key, String env, int defaultValue, String desc) {
    return intIn(
        key, env, defaultValue, desc, 1, Integer.MAX_VALUE, "must be a positive whole number");
  }

  /** A whole number from 1 to {@code max}, e.g. a size the transport caps. */
  static Option<Integer> positiveIntAtMost(
      String key, String env, int defaultValue, String desc, int max) {
    return intIn(key, env, defaultValue, desc, 1, max, "must be a whole number from 1 to " + max);
  }

  static Option<Integer> nonNegativeInt(String key, String env, int defaultValue, String desc) {
    return intIn(
        key,
        env,
        defaultValue,
        desc,
        0,
        Integer.MAX_VALUE,
        "must be zero or a positive whole number");
  }

  private static Option<Integer> intIn(
      String key, String env, int defaultValue, String desc, int min, int max, String problem) {
    return new Option<>(
        key,
        env,
        Integer.toString(defaultValue),
        desc,
        text -> {
          int value = wholeNumber(text, problem);
          if (value < min || value > max) {
            throw new IllegalArgumentException(problem);
          }
          return value;
        });
  }

  /**
   * The int {@code text} holds, or an error saying what the option takes: the parser's own text
   * ({@code For input string: "99999999999"}) does not say that the number is merely too large.
   */
  private static int wholeNumber(String text, String problem) {
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(problem, e);
    }
  }
}
