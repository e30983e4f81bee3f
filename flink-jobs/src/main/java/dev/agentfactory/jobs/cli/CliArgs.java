package dev.agentfactory.jobs.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The command line of the project's tools (the {@code pii} CLI, the bench groups, the developer
 * tools): {@code --name value} / {@code --name=value} options and value-less flags, checked against
 * the names the tool knows, and at most a given number of positional arguments. A misspelt option
 * ({@code --splt}), an extra argument or a malformed value fails with a {@link UsageException}
 * instead of running on defaults as if it were not there.
 *
 * <pre>{@code
 * CliArgs a = CliArgs.parse(args, Set.of("--seconds", "--rate"));
 * int seconds = a.intValue("--seconds", 10, 1, 3600);
 *
 * CliArgs p = CliArgs.parse(args, Set.of(), Set.of(), 1); // [SANDBOXES]
 * int n = p.intPositional(0, "SANDBOXES", 50, 1, 10_000);
 * }</pre>
 */
public final class CliArgs {

  private final Map<String, String> values;
  private final List<String> positionals;

  private CliArgs(Map<String, String> values, List<String> positionals) {
    this.values = values;
    this.positionals = positionals;
  }

  /** Options with values only, no flags and no positional arguments. */
  public static CliArgs parse(String[] args, Set<String> options) {
    return parse(args, options, Set.of(), 0);
  }

  /**
   * @param options names that take a value
   * @param flags names that take none ({@code --patterns-only})
   * @param maxPositionals how many arguments not starting with {@code --} are allowed
   * @throws UsageException for an unknown option, a flag with a value, an option without one, or
   *     more positional arguments than allowed
   */
  public static CliArgs parse(
      String[] args, Set<String> options, Set<String> flags, int maxPositionals) {
    Map<String, String> values = new LinkedHashMap<>();
    List<String> positionals = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        if (positionals.size() >= maxPositionals) {
          throw new UsageException(
              "unexpected argument '"
                  + a
                  + "'"
                  + (maxPositionals > 0 ? " (at most " + maxPositionals + ")" : "")
                  + (options.isEmpty() && flags.isEmpty()
                      ? ""
                      : "; options: " + known(options, flags)));
        }
        positionals.add(a);
        continue;
      }
      int eq = a.indexOf('=');
      String name = eq > 0 ? a.substring(0, eq) : a;
      if (flags.contains(name)) {
        if (eq > 0) {
          throw new UsageException(name + " takes no value");
        }
        values.put(name, "true");
      } else if (!options.contains(name)) {
        throw new UsageException(
            "unknown option "
                + name
                + (options.isEmpty() && flags.isEmpty()
                    ? " (this tool takes none)"
                    : "; options: " + known(options, flags)));
      } else if (eq > 0) {
        values.put(name, a.substring(eq + 1));
      } else if (i + 1 < args.length) {
        values.put(name, args[++i]);
      } else {
        throw new UsageException(name + " needs a value");
      }
    }
    return new CliArgs(values, List.copyOf(positionals));
  }

  /**
   * Runs {@code parse}; on a {@link UsageException} prints one line, {@code tool: problem; usage:
   * usage}, to stderr and exits with status 2.
   */
  public static <T> T parseOrExit(String tool, String usage, Supplier<T> parse) {
    try {
      return parse.get();
    } catch (UsageException e) {
      System.err.println(tool + ": " + e.getMessage() + "; usage: " + usage);
      System.exit(2);
      throw e; // not reached
    }
  }

  public List<String> positionals() {
    return positionals;
  }

  /** Whether the flag or option {@code name} was given. */
  public boolean has(String name) {
    return values.containsKey(name);
  }

  public String stringValue(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  /** The value of {@code name}, or {@code fallback}; outside [min, max] is an error. */
  public int intValue(String name, int fallback, int min, int max) {
    String v = values.get(name);
    return v == null ? fallback : toInt(name, v, min, max);
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

  /** The positional argument at {@code index}, required: its absence is an error. */
  public String requiredPositional(int index, String name) {
    if (index >= positionals.size()) {
      throw new UsageException(name + " is required");
    }
    return positionals.get(index);
  }

  /** The positional argument at {@code index} as an integer in [min, max], or {@code fallback}. */
  public int intPositional(int index, String name, int fallback, int min, int max) {
    return index < positionals.size() ? toInt(name, positionals.get(index), min, max) : fallback;
  }

  /**
   * The positional argument at {@code index} as a finite number above {@code exclusiveMin}, or
   * {@code fallback}.
   */
  public double doublePositional(int index, String name, double fallback, double exclusiveMin) {
    if (index >= positionals.size()) {
      return fallback;
    }
    String v = positionals.get(index);
    double d;
    try {
      d = Double.parseDouble(v.strip());
    } catch (NumberFormatException e) {
      throw new UsageException(name + " must be a number, was '" + v + "'");
    }
    if (!Double.isFinite(d) || d <= exclusiveMin) {
      throw new UsageException(name + " must be above " + exclusiveMin + ", was " + v);
    }
    return d;
  }

  private static int toInt(String name, String v, int min, int max) {
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

  private static Set<String> known(Set<String> options, Set<String> flags) {
    Set<String> all = new TreeSet<>(options);
    all.addAll(flags);
    return all;
  }

  /** A command line the tool cannot run with: the message says what is wrong, in one line. */
  public static final class UsageException extends IllegalArgumentException {
    public UsageException(String message) {
      super(message);
    }
  }
}
