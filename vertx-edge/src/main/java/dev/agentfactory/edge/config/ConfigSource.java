package dev.agentfactory.edge.config;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where option values come from: command-line flags, then environment variables, then system
 * properties, then the option's default.
 */
public final class ConfigSource {

  private final Map<String, String> flags;
  private final Map<String, String> env;
  private final Map<String, String> properties;

  public ConfigSource(
      Map<String, String> flags, Map<String, String> env, Map<String, String> properties) {
    this.flags = Map.copyOf(flags);
    this.env = Map.copyOf(env);
    this.properties = Map.copyOf(properties);
  }

  /** Flags from {@code --key=value} arguments, plus the process environment and properties. */
  public static ConfigSource fromProcess(String[] args) {
    Map<String, String> properties = new HashMap<>();
    System.getProperties().forEach((k, v) -> properties.put(k.toString(), v.toString()));
    return new ConfigSource(parseFlags(args), System.getenv(), properties);
  }

  static Map<String, String> parseFlags(String[] args) {
    Map<String, String> flags = new HashMap<>();
    for (String arg : args) {
      if (!arg.startsWith("--") || !arg.contains("=")) {
        throw new ConfigException("unknown argument '" + arg + "': expected --key=value");
      }
      String key = arg.substring(2, arg.indexOf('='));
      if (NodeOptions.ALL.stream().noneMatch(o -> o.key().equals(key))) {
        throw new ConfigException("unknown option --" + key + " (see docs/configuration.md)");
      }
      flags.put(key, arg.substring(arg.indexOf('=') + 1));
    }
    return flags;
  }

  /** The environment variables this source reads. */
  public Map<String, String> env() {
    return env;
  }

  /** The resolved value, or a {@link ConfigException} naming the option and where it came from. */
  public <T> T get(Option<T> option) {
    String where;
    String text;
    if (flags.containsKey(option.key())) {
      where = "--" + option.key();
      text = flags.get(option.key());
    } else if (isSet(env.get(option.env()))) {
      where = option.env();
      text = env.get(option.env());
    } else if (isSet(properties.get("af." + option.key()))) {
      where = "af." + option.key();
      text = properties.get("af." + option.key());
    } else {
      where = "default of " + option.key();
      text = option.defaultValue();
    }
    try {
      return option.parser().apply(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          option.key() + " (" + where + ") is '" + text + "': " + e.getMessage());
    }
  }

  /**
   * An environment variable or property that is empty or blank counts as unset, as in {@code
   * ClusterOptions}: {@code AF_X=} in a compose file or manifest means "use the default", not "use
   * the empty string". A flag is explicit and taken as given.
   */
  private static boolean isSet(String value) {
    return value != null && !value.isBlank();
  }

  /** Like {@link #get} for options whose empty text means "not set". */
  public Optional<String> optional(Option<String> option) {
    String value = get(option).trim();
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }
}
