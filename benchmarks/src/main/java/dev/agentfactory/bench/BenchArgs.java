package dev.agentfactory.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A bench group's {@code --name value} / {@code --name=value} options, checked against the names
 * the group knows: a misspelt option ({@code --seconds=5} where only {@code --seconds 5} used to be
 * read, {@code --idel}) or a malformed value fails the run with a {@link UsageException} instead of
 * running on defaults.
 *
 * <pre>{@code
 * BenchArgs a = BenchArgs.parse(args, Set.of("--seconds", "--rate"));
 * int seconds = a.intValue("--seconds", 10, 1, 3600);
 * }</pre>
 */
public final class BenchArgs {

  private final Map<String, String> values;

  private BenchArgs(Map<String, String> values) {
    this.values = values;
  }

  /**
   * @throws UsageException for an unknown option, a positional argument or a missing value
   */
  public static BenchArgs parse(String[] args, Set<String> known) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new UsageException("unexpected argument '" + a + "'; options: " + sorted(known));
      }
      int eq = a.indexOf('=');
      String name = eq > 0 ? a.substring(0, eq) : a;
      if (!known.contains(name)) {
        throw new UsageException("unknown option " + name + "; options: " + sorted(known));
      }
      if (eq > 0) {
        values.put(name, a.substring(eq + 1));
      } else if (i + 1 < args.length) {
        values.put(name, args[++i]);
      } else {
        throw new UsageException(name + " needs a value");
      }
    }
    return new BenchArgs(values);
  }

  /** The value of {@code name}, or {@code fallback}; outside [min, max] is an error. */
  public int intValue(String name, int fallback, int min, int max) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    int n;
    try {
      n = Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw new UsageException(name + " must be an integer, was '" + v + "'");
    }
    if (n < min || n > max) {
      throw new UsageException(name + " must be in [" + min + ", " + max + "], was " + n);
    }
    return n;
  }

  public String stringValue(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  /** {@code true} or {@code false}, nothing else. */
  public boolean booleanValue(String name, boolean fallback) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    return switch (v.strip()) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new UsageException(name + " must be true or false, was '" + v + "'");
    };
  }

  private static Set<String> sorted(Set<String> known) {
    return new TreeSet<>(known);
  }

  /** A command line the group cannot run with; {@link BenchMain} exits 2 with the message. */
  public static final class UsageException extends IllegalArgumentException {
    public UsageException(String message) {
      super(message);
    }
  }
}
