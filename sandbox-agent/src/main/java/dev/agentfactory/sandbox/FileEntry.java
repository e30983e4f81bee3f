package dev.agentfactory.sandbox;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of a workspace directory listing ({@link Sandbox#listFiles}).
 *
 * @param path the entry's path relative to the workspace root, e.g. {@code src/main.py}
 * @param name its last segment, e.g. {@code main.py}
 * @param type what it is; symbolic links are reported, never followed
 * @param size its size in bytes (of the link itself for a symbolic link)
 * @param modified when it was last modified
 */
public record FileEntry(String path, String name, Type type, long size, Instant modified) {

  /** What a directory entry is. */
  public enum Type {
    FILE,
    DIRECTORY,
    SYMLINK,
    OTHER
  }

  public FileEntry {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(modified, "modified");
  }
}
