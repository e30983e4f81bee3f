package dev.agentfactory.sandbox.local;

import static dev.agentfactory.sandbox.local.WorkspacePath.error;

import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The way from a workspace's root to a {@link WorkspacePath}, step by step through {@link
 * SecureDirectoryStream}s ({@code openat} with {@code O_NOFOLLOW} relative to the directory opened
 * before), never resolving a path string below the root. What is found on the way is checked by
 * type without following a link; a link ends the walk with {@code path_symlink}, a missing name
 * with {@code file_not_found}, a file where a directory should be with {@code not_a_directory}.
 *
 * <p>Blocking: call from a worker thread, never an event loop.
 */
final class WorkspaceWalk {

  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  private final Path root;

  /** A walk below {@code root}, the workspace's host directory. */
  WorkspaceWalk(Path root) {
    this.root = root;
  }

  /** Opens the directory that holds {@code path}'s last segment. */
  SecureDirectoryStream<Path> openParent(WorkspacePath path) throws IOException {
    return openDirectory(path, path.segments().size() - 1);
  }

  /** Opens the directory of the first {@code depth} segments, refusing links on the way. */
  SecureDirectoryStream<Path> openDirectory(WorkspacePath path, int depth) throws IOException {
    SecureDirectoryStream<Path> dir = openRoot();
    try {
      for (int i = 0; i < depth; i++) {
        Path name = Path.of(path.segments().get(i));
        requireDirectory(attributes(dir, name, path, i + 1), path, i + 1);
        // O_NOFOLLOW: a link swapped in since the check fails here (ELOOP) instead of being used
        SecureDirectoryStream<Path> next = dir.newDirectoryStream(name, NOFOLLOW);
        dir.close();
        dir = next;
      }
      return dir;
    } catch (IOException | RuntimeException e) {
      dir.close();
      throw e;
    }
  }

  /** Opens the workspace's root. */
  SecureDirectoryStream<Path> openRoot() throws IOException {
    DirectoryStream<Path> ds = Files.newDirectoryStream(root);
    if (ds instanceof SecureDirectoryStream<Path> sds) {
      return sds;
    }
    ds.close();
    throw SandboxException.unsupported("workspace files", "no openat on this platform");
  }

  static BasicFileAttributes attributes(
      SecureDirectoryStream<Path> dir, Path name, WorkspacePath path, int depth)
      throws IOException {
    try {
      return dir.getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW)
          .readAttributes();
    } catch (NoSuchFileException e) {
      String missing = path.prefix(depth);
      throw error(
          "file_not_found",
          missing.equals(path.relative())
              ? "'" + path.given() + "' does not exist in the workspace"
              : "'" + path.given() + "': '" + missing + "' does not exist in the workspace");
    }
  }

  static BasicFileAttributes attributesIfPresent(
      SecureDirectoryStream<Path> dir, Path name, WorkspacePath path) throws IOException {
    try {
      return dir.getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW)
          .readAttributes();
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  static void requireDirectory(BasicFileAttributes a, WorkspacePath path, int depth) {
    if (a.isSymbolicLink()) {
      throw symlink(path, path.prefix(depth));
    }
    if (!a.isDirectory()) {
      throw error(
          "not_a_directory",
          "'" + path.given() + "': '" + path.prefix(depth) + "' is not a directory");
    }
  }

  static void requireRegular(BasicFileAttributes a, WorkspacePath path) {
    if (a.isSymbolicLink()) {
      throw symlink(path, path.relative());
    }
    if (a.isDirectory()) {
      throw error("not_a_file", "'" + path.given() + "' is a directory, not a file");
    }
    if (!a.isRegularFile()) {
      throw error("not_a_file", "'" + path.given() + "' is not a regular file");
    }
  }

  private static SandboxException symlink(WorkspacePath path, String link) {
    return error(
        "path_symlink",
        "'"
            + path.given()
            + "' goes through the symbolic link '"
            + link
            + "': links in the workspace are not followed");
  }
}
