package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxException;
import java.util.ArrayList;
import java.util.List;

/**
 * A path inside a sandbox's workspace, parsed once from what a caller sent: relative to the
 * workspace root, or absolute under {@code /workspace} (the sandbox's own view). Lexical checks
 * only; {@link WorkspaceFiles} then walks it without following links.
 *
 * @param given the path as the caller wrote it, for error messages
 * @param segments its segments below the workspace root; empty for the root itself
 */
record WorkspacePath(String given, List<String> segments) {

  /** Where a sandbox sees its workspace. */
  static final String MOUNT_POINT = "/workspace";

  private static final int MAX_LENGTH = 4096;
  private static final int MAX_SEGMENT = 255;

  WorkspacePath {
    segments = List.copyOf(segments);
  }

  /**
   * Parses {@code path}; {@code rootAllowed} says whether the workspace root itself is a valid
   * answer (it is for a listing, not for a file).
   *
   * @throws SandboxException {@code invalid_path} or {@code path_outside_workspace}
   */
  static WorkspacePath parse(String path, boolean rootAllowed) {
    if (path == null) {
      throw error("invalid_path", "path is missing");
    }
    if (path.length() > MAX_LENGTH) {
      throw error("invalid_path", "path is longer than " + MAX_LENGTH + " characters");
    }
    if (path.indexOf('\0') >= 0) {
      throw error("invalid_path", "path '" + printable(path) + "' contains a NUL character");
    }
    String relative = path;
    if (path.startsWith("/")) {
      if (path.equals(MOUNT_POINT) || path.startsWith(MOUNT_POINT + "/")) {
        relative = path.substring(MOUNT_POINT.length());
      } else {
        throw error(
            "path_outside_workspace",
            "path '"
                + path
                + "' is outside the workspace: use a path relative to it or under "
                + MOUNT_POINT);
      }
    }
    List<String> segments = new ArrayList<>();
    for (String s : relative.split("/")) {
      if (s.isEmpty() || s.equals(".")) {
        continue;
      }
      if (s.equals("..")) {
        throw error(
            "path_outside_workspace",
            "path '" + path + "' leaves the workspace: '..' is not allowed");
      }
      if (s.length() > MAX_SEGMENT) {
        throw error(
            "invalid_path", "path '" + path + "' has a name longer than " + MAX_SEGMENT + " bytes");
      }
      segments.add(s);
    }
    if (segments.isEmpty() && !rootAllowed) {
      throw error("invalid_path", "path '" + path + "' names the workspace itself, not a file");
    }
    return new WorkspacePath(path, segments);
  }

  /** The segments joined with {@code /}; {@code ""} for the root. */
  String relative() {
    return String.join("/", segments);
  }

  /** The first {@code n} segments joined, for messages about a parent. */
  String prefix(int n) {
    return String.join("/", segments.subList(0, n));
  }

  String name() {
    return segments.get(segments.size() - 1);
  }

  private static String printable(String s) {
    return s.replace("\0", "\\0");
  }

  static SandboxException error(String code, String message) {
    return new SandboxException(code, message, false);
  }
}
