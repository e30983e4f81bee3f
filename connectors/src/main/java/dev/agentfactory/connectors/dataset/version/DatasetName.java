package dev.agentfactory.connectors.dataset.version;

import java.util.regex.Pattern;

/**
 * Dataset names are slugs, {@code [a-z][a-z0-9_-]*} (at most 64 characters), so a name is always
 * one safe directory under the datasets root and one URL path segment.
 */
public final class DatasetName {

  private static final Pattern SLUG = Pattern.compile("[a-z][a-z0-9_-]{0,63}");

  private DatasetName() {}

  /** Whether {@code name} is a valid dataset name. */
  public static boolean isValid(String name) {
    return name != null && SLUG.matcher(name).matches();
  }

  /**
   * Returns {@code name} if valid.
   *
   * @throws DatasetException {@code invalid_name} otherwise
   */
  public static String requireValid(String name) {
    if (!isValid(name)) {
      throw DatasetException.invalidName(
          DatasetException.Subject.DATASET,
          "invalid dataset name '" + name + "': expected [a-z][a-z0-9_-]*, at most 64 characters");
    }
    return name;
  }
}
