package dev.agentfactory.sandbox.local;

import static dev.agentfactory.sandbox.local.WorkspacePath.error;

import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * File access to one incarnation's workspace from the host, without ever following a link.
 *
 * <p>The workspace belongs to code that may be hostile and that runs while we work: it can replace
 * any directory with a symbolic link at any moment. So nothing here resolves a path string below
 * the workspace root. Every step goes through a {@link SecureDirectoryStream} ({@code openat} with
 * {@code O_NOFOLLOW} relative to the directory opened before), and a link anywhere on the way ends
 * the operation with {@code path_symlink}. Writes are staged in a fresh directory only the agent
 * can write to, chowned to the sandbox's uid there and renamed into place ({@code renameat}), so
 * they never write through a link or a hard link and never open a name the sandbox can swap for a
 * FIFO (an open that would block until the FIFO has a writer). Missing parent directories are
 * created by {@code mkdir -p} running <em>as the sandbox's uid</em>: the one path-based step, it
 * can reach nothing the sandbox itself could not.
 *
 * <p>What remains: every other open (a file to read, a directory on the way) follows a no-follow
 * type check, and a FIFO swapped in between the two blocks the open. The JDK offers no {@code
 * O_NONBLOCK} or {@code O_PATH}; the caller's timeout ({@code file_timeout}) and the lazy unmount
 * on close bound what a blocked thread costs.
 *
 * <p>Blocking: call from a worker thread, never an event loop.
 */
final class WorkspaceFiles {

  static final int MAX_LIST_ENTRIES = 10_000;

  private static final Set<PosixFilePermission> NEW_FILE =
      PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> PRIVATE =
      PosixFilePermissions.fromString("rwx------");
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  /** Names of the per-write staging directories in the workspace root. */
  static final String STAGING_PREFIX = ".af-tmp-";

  /** The file a write stages in its private directory before renaming it into place. */
  private static final Path STAGED = Path.of("content");

  private static final int AGENT_UID = PoolHost.currentUid();

  private final Path root;
  private final int uid;
  private final boolean chown;
  private final long diskBytes;
  private final WorkspaceWalk walk;

  /**
   * @param root the workspace's host directory
   * @param uid the sandbox's host uid
   * @param chown whether files must be handed to {@code uid} (the pool runs sandboxes as their own
   *     uids)
   * @param diskBytes the template's workspace cap; no single write may exceed it
   */
  WorkspaceFiles(Path root, int uid, boolean chown, long diskBytes) {
    this.root = root;
    this.uid = uid;
    this.chown = chown;
    this.diskBytes = diskBytes;
    this.walk = new WorkspaceWalk(root);
  }

  byte[] read(WorkspacePath path, long maxBytes) {
    try (SecureDirectoryStream<Path> dir = walk.openParent(path)) {
      Path name = Path.of(path.name());
      BasicFileAttributes a = WorkspaceWalk.attributes(dir, name, path, path.segments().size());
      WorkspaceWalk.requireRegular(a, path);
      if (a.size() > maxBytes) {
        throw tooLarge(path, a.size(), maxBytes);
      }
      try (SeekableByteChannel ch =
          dir.newByteChannel(name, Set.of(StandardOpenOption.READ, NOFOLLOW))) {
        // The file may grow between the check and the read: never read more than the cap
        ByteBuffer buf =
            ByteBuffer.allocate((int) Math.min(maxBytes + 1, Math.max(a.size(), 8192)));
        while (true) {
          if (!buf.hasRemaining()) {
            if (buf.capacity() > maxBytes) {
              throw tooLarge(path, ch.size(), maxBytes);
            }
            ByteBuffer bigger =
                ByteBuffer.allocate((int) Math.min(maxBytes + 1, (long) buf.capacity() * 2));
            buf.flip();
            bigger.put(buf);
            buf = bigger;
          }
          if (ch.read(buf) < 0) {
            break;
          }
        }
        byte[] out = new byte[buf.position()];
        buf.flip().get(out);
        return out;
      }
    } catch (IOException e) {
      throw failure(e, path);
    }
  }

  void write(WorkspacePath path, byte[] content) {
    if (content.length > diskBytes) {
      throw error(
          "disk_full",
          "cannot write '"
              + path.given()
              + "': "
              + content.length
              + " bytes exceed the workspace cap of "
              + diskBytes
              + " bytes");
    }
    try {
      makeParents(path);
      try (SecureDirectoryStream<Path> dir = walk.openParent(path)) {
        Path name = Path.of(path.name());
        Set<PosixFilePermission> mode = NEW_FILE;
        BasicFileAttributes existing = WorkspaceWalk.attributesIfPresent(dir, name, path);
        if (existing != null) {
          WorkspaceWalk.requireRegular(existing, path);
          mode =
              dir.getFileAttributeView(name, PosixFileAttributeView.class, NOFOLLOW)
                  .readAttributes()
                  .permissions();
        }
        Path staging = Path.of(STAGING_PREFIX + UUID.randomUUID());
        try (SecureDirectoryStream<Path> top = walk.openRoot();
            SecureDirectoryStream<Path> tmp = openStaging(top, staging, path)) {
          try {
            writeStaged(tmp, dir, name, mode, content);
          } finally {
            deleteQuietly(tmp, STAGED);
            deleteDirectoryQuietly(top, staging);
          }
        }
      }
    } catch (IOException e) {
      throw failure(e, path);
    }
  }

  /**
   * Writes the content to {@link #STAGED} in the private directory {@code tmp}, hands it to the
   * sandbox's uid and renames it over {@code name} in {@code dir}. Nothing here opens a name the
   * sandbox can change: it cannot create, rename or replace anything in {@code tmp}.
   */
  private void writeStaged(
      SecureDirectoryStream<Path> tmp,
      SecureDirectoryStream<Path> dir,
      Path name,
      Set<PosixFilePermission> mode,
      byte[] content)
      throws IOException {
    Set<OpenOption> create =
        Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW, NOFOLLOW);
    try (SeekableByteChannel ch =
        tmp.newByteChannel(STAGED, create, PosixFilePermissions.asFileAttribute(mode))) {
      ByteBuffer buf = ByteBuffer.wrap(content);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
    if (chown) {
      // The JDK opens the file again for fchown (openat, O_RDONLY): safe only because the name
      // is in tmp. In the sandbox's directory a FIFO renamed over it would block that open forever
      PosixFileAttributeView view =
          tmp.getFileAttributeView(STAGED, PosixFileAttributeView.class, NOFOLLOW);
      UserPrincipalLookupService users = root.getFileSystem().getUserPrincipalLookupService();
      // numeric names: sandbox uids have no passwd entry
      view.setOwner(users.lookupPrincipalByName(Integer.toString(uid)));
      view.setGroup(users.lookupPrincipalByGroupName(Integer.toString(uid)));
    }
    // renameat: replaces a link or file of that name in place, never writes through it
    tmp.move(STAGED, dir, name);
  }

  /**
   * Creates and opens a fresh directory in the workspace root that only the agent may write to: the
   * staging area of one write. The root's path is the agent's (the mount point), and mkdir never
   * follows a link in its last component. The sandbox can still rename or remove the empty
   * directory and put its own in its place before we open it, so what was opened is checked: a
   * directory of the agent's, writable by no one else.
   */
  private SecureDirectoryStream<Path> openStaging(
      SecureDirectoryStream<Path> top, Path staging, WorkspacePath path) throws IOException {
    Files.createDirectory(root.resolve(staging), PosixFilePermissions.asFileAttribute(PRIVATE));
    SecureDirectoryStream<Path> tmp;
    try {
      tmp = top.newDirectoryStream(staging, NOFOLLOW);
    } catch (IOException e) {
      deleteDirectoryQuietly(top, staging);
      throw e;
    }
    try {
      PosixFileAttributes a =
          tmp.getFileAttributeView(PosixFileAttributeView.class).readAttributes();
      UserPrincipal agent =
          root.getFileSystem()
              .getUserPrincipalLookupService()
              .lookupPrincipalByName(Integer.toString(AGENT_UID));
      if (!a.isDirectory() || !a.owner().equals(agent) || !a.permissions().equals(PRIVATE)) {
        throw new SandboxException(
            "io_error",
            "cannot write '" + path.given() + "': its staging directory was replaced",
            true);
      }
      return tmp;
    } catch (IOException | RuntimeException e) {
      tmp.close();
      deleteDirectoryQuietly(top, staging);
      throw e;
    }
  }

  /**
   * The directories in the workspace root that belong to the agent: the staging directories of
   * writes in progress, or of writes whose directory the sandbox renamed (it may rename entries of
   * its root; the write then cannot remove the directory by name). Nothing else there is the
   * agent's: the sandbox creates its files as its own uid, and seeds and written files are handed
   * to it. Names as the kernel gives them; the root is listed without following links.
   */
  static List<String> agentDirectories(Path root) {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
      for (Path entry : ds) {
        try {
          Map<String, Object> a = Files.readAttributes(entry, "unix:uid,isDirectory", NOFOLLOW);
          if (Boolean.TRUE.equals(a.get("isDirectory")) && a.get("uid").equals(AGENT_UID)) {
            names.add(entry.getFileName().toString());
          }
        } catch (NoSuchFileException gone) {
          // removed while we listed
        }
      }
    } catch (IOException e) {
      throw new SandboxException(
          "io_error", "cannot list the workspace root " + root + ": " + e, true, e);
    }
    return names;
  }

  List<FileEntry> list(WorkspacePath path) {
    try (SecureDirectoryStream<Path> dir = walk.openDirectory(path, path.segments().size())) {
      List<FileEntry> entries = new ArrayList<>();
      String prefix = path.segments().isEmpty() ? "" : path.relative() + "/";
      for (Path entry : dir) {
        if (entries.size() == MAX_LIST_ENTRIES) {
          throw error(
              "directory_too_large",
              "directory '" + path.given() + "' has more than " + MAX_LIST_ENTRIES + " entries");
        }
        Path name = entry.getFileName();
        BasicFileAttributes a;
        try {
          a =
              dir.getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW)
                  .readAttributes();
        } catch (NoSuchFileException gone) {
          continue; // deleted while we listed
        }
        String n = name.toString();
        entries.add(
            new FileEntry(prefix + n, n, type(a), a.size(), a.lastModifiedTime().toInstant()));
      }
      entries.sort(Comparator.comparing(FileEntry::name));
      return entries;
    } catch (IOException e) {
      throw failure(e, path);
    }
  }

  private static FileEntry.Type type(BasicFileAttributes a) {
    if (a.isSymbolicLink()) {
      return FileEntry.Type.SYMLINK;
    }
    if (a.isDirectory()) {
      return FileEntry.Type.DIRECTORY;
    }
    return a.isRegularFile() ? FileEntry.Type.FILE : FileEntry.Type.OTHER;
  }

  /** Creates the missing directories above the file, as the sandbox's uid. */
  private void makeParents(WorkspacePath path) throws IOException {
    int parents = path.segments().size() - 1;
    if (parents == 0) {
      return;
    }
    // Walk what exists without following links; stop at the first missing directory
    int existing = 0;
    SecureDirectoryStream<Path> dir = walk.openRoot();
    try {
      while (existing < parents) {
        Path name = Path.of(path.segments().get(existing));
        BasicFileAttributes a = WorkspaceWalk.attributesIfPresent(dir, name, path);
        if (a == null) {
          break;
        }
        WorkspaceWalk.requireDirectory(a, path, existing + 1);
        SecureDirectoryStream<Path> next = dir.newDirectoryStream(name, NOFOLLOW);
        dir.close();
        dir = next;
        existing++;
      }
    } finally {
      dir.close();
    }
    if (existing == parents) {
      return;
    }
    Path target = root.resolve(path.prefix(parents));
    if (chown) {
      try {
        SandboxLauncher.run(
            List.of(
                "setpriv",
                "--reuid=" + uid,
                "--regid=" + uid,
                "--clear-groups",
                "--",
                "mkdir",
                "-p",
                "--",
                target.toString()),
            null,
            null);
      } catch (SandboxException e) {
        throw new SandboxException(
            "io_error",
            "cannot create the directory '"
                + path.prefix(parents)
                + "' for '"
                + path.given()
                + "': "
                + e.getMessage(),
            false,
            e);
      }
    } else {
      // The sandbox runs as our own uid here: a link race reaches nothing it could not write
      try {
        Files.createDirectories(target);
      } catch (FileAlreadyExistsException e) {
        // a file or link of that name: the walk in openParent names it
      }
    }
  }

  private static SandboxException tooLarge(WorkspacePath path, long size, long max) {
    return error(
        "file_too_large",
        "'" + path.given() + "' is " + size + " bytes, more than the read limit of " + max);
  }

  /** Maps what the kernel said into a typed failure naming the path. */
  private static SandboxException failure(IOException e, WorkspacePath path) {
    String reason = e instanceof FileSystemException fs ? fs.getReason() : e.getMessage();
    reason = reason == null ? e.toString() : reason;
    if (reason.contains("No space left") || reason.contains("Disk quota")) {
      return new SandboxException(
          "disk_full", "cannot write '" + path.given() + "': the workspace is full", false, e);
    }
    if (reason.contains("Too many levels of symbolic links") || reason.contains("ELOOP")) {
      // a link swapped in between our check and the open
      return new SandboxException(
          "path_symlink",
          "'" + path.given() + "' goes through a symbolic link: links are not followed",
          false,
          e);
    }
    if (e instanceof NoSuchFileException) {
      return new SandboxException(
          "file_not_found", "'" + path.given() + "' does not exist in the workspace", false, e);
    }
    return new SandboxException(
        "io_error", "cannot access '" + path.given() + "' in the workspace: " + reason, true, e);
  }

  private static void deleteQuietly(SecureDirectoryStream<Path> dir, Path name) {
    try {
      dir.deleteFile(name);
    } catch (IOException e) {
      // nothing more to do: it is in the sandbox's own workspace, which goes with the sandbox
    }
  }

  private static void deleteDirectoryQuietly(SecureDirectoryStream<Path> dir, Path name) {
    try {
      dir.deleteDirectory(name);
    } catch (IOException e) {
      // renamed or filled by the sandbox: its workspace, which goes with the sandbox
    }
  }
}
