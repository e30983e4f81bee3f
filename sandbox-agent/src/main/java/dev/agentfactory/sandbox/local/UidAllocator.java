package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hands out host uids from a fixed range, one per live sandbox, exclusive across every pool and
 * process that claims in the same lock directory. Thread-safe.
 *
 * <p>Before a uid is handed out it is claimed: an exclusive lock on {@code <lockDir>/<uid>.lock},
 * held until {@link #release(int)}. Only processes that see the same directory (the same {@code
 * /run}, or the same tmp dir and uid) exclude each other: a container with a {@code /run} of its
 * own claims apart from the host's. A uid whose lock another process holds is skipped, so two nodes
 * (or a node and a sandbox-agent daemon) with overlapping ranges never run sandboxes as the same
 * uid. The kernel drops a process's locks when it dies, so a crashed node frees its uids without
 * cleanup. Lock files stay (deleting one would race with the next claim's open); they are empty,
 * and {@code /run} is cleared at boot.
 *
 * <p>Java's file locks are POSIX record locks, which belong to the process: a second channel on a
 * file locked in this JVM cannot see the lock ({@link OverlappingFileLockException}), and closing
 * that channel would drop the lock for the whole process. So the files this JVM holds are kept in
 * {@link #HELD_IN_JVM} and never opened twice; pools in one JVM skip each other's uids through it.
 * (flock(1) takes a different kind of lock, which these do not see.)
 */
final class UidAllocator {

  /** Lock files of uids claimed by any allocator in this JVM. */
  private static final Set<Path> HELD_IN_JVM = ConcurrentHashMap.newKeySet();

  private final int base;
  private final int count;
  private final Path lockDir;
  // the agent's uid, which must own lockDir
  private final int self;
  // index in the range -> the channel whose lock claims it
  private final Map<Integer, FileChannel> held = new HashMap<>();
  // Round-robin, so a uid just released is not immediately reused while its files may linger
  private int next;
  private boolean lockDirReady;

  /** An allocator claiming uids in {@link #defaultLockDir()}, shared by every pool on the host. */
  UidAllocator(int base, int count) {
    this(base, count, defaultLockDir());
  }

  UidAllocator(int base, int count, Path lockDir) {
    this.base = base;
    this.count = count;
    this.lockDir = lockDir.toAbsolutePath().normalize();
    this.self = PoolHost.currentUid();
  }

  /**
   * Where uids are claimed: {@code /run/agent-factory/uids} when {@code /run} is writable (root,
   * which is when sandboxes get uids of their own), else {@code
   * <java.io.tmpdir>/agent-factory-uids-<uid>}. The uid in the name keeps agents of different users
   * apart (the directory must be the agent's own, so they could not share one anyway); a directory
   * of that name someone else made is refused ({@link #whatIsWrong}), never swapped for another,
   * which would silently end the exclusion between the agents that use it.
   */
  static Path defaultLockDir() {
    return defaultLockDir(
        Path.of("/run"), Path.of(System.getProperty("java.io.tmpdir")), PoolHost.currentUid());
  }

  static Path defaultLockDir(Path run, Path tmp, int uid) {
    return Files.isDirectory(run) && Files.isWritable(run)
        ? run.resolve("agent-factory").resolve("uids")
        : tmp.resolve("agent-factory-uids-" + uid);
  }

  /**
   * The next free uid after the last one handed out, claimed in the lock directory.
   *
   * @throws SandboxException {@code capacity_exhausted} (retriable) when every uid of the range is
   *     in use here or held by another pool on this host; {@code dir_unusable} when the lock
   *     directory cannot be used, or is another user's or writable by others (the message says what
   *     to do; the next call checks again)
   */
  synchronized int allocate() {
    prepareLockDir();
    int elsewhere = 0;
    for (int n = 0; n < count; n++) {
      int i = (next + n) % count;
      if (held.containsKey(i)) {
        continue;
      }
      FileChannel claim = claim(base + i);
      if (claim == null) {
        elsewhere++;
        continue;
      }
      held.put(i, claim);
      next = (i + 1) % count;
      return base + i;
    }
    String range = "sandbox uids " + base + "-" + (base + count - 1);
    throw new SandboxException(
        "capacity_exhausted",
        elsewhere == 0
            ? "all " + count + " " + range + " are in use"
            : "all "
                + count
                + " "
                + range
                + " are in use: "
                + elsewhere
                + " of them by other pools on this host (locks in "
                + lockDir
                + ")",
        true);
  }

  /** Frees a uid handed out by {@link #allocate()}: its lock is dropped. */
  synchronized void release(int uid) {
    FileChannel claim = held.remove(uid - base);
    if (claim == null) {
      return;
    }
    Path file = lockFile(uid);
    try {
      claim.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release the lock " + file, e);
    } finally {
      // Only after the close: another allocator here must not open the file while this channel is
      // open, since closing it then would drop that allocator's lock too
      HELD_IN_JVM.remove(file);
    }
  }

  synchronized int inUse() {
    return held.size();
  }

  /** The open, locked channel on the uid's lock file; null when another pool holds the uid. */
  private FileChannel claim(int uid) {
    Path file = lockFile(uid);
    if (!HELD_IN_JVM.add(file)) {
      return null;
    }
    FileChannel channel = null;
    try {
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        // Something else in this JVM locked the file without HELD_IN_JVM: the uid is held. The
        // channel stays open (and the file marked held), since closing it would drop that lock
        return null;
      }
      if (lock != null) {
        return channel;
      }
      channel.close();
      HELD_IN_JVM.remove(file);
      return null;
    } catch (IOException e) {
      closeAfterFailure(channel);
      HELD_IN_JVM.remove(file);
      throw new SandboxException(
          "dir_unusable", "cannot claim sandbox uid " + uid + " (" + file + "): " + e, false, e);
    }
  }

  private Path lockFile(int uid) {
    return lockDir.resolve(uid + ".lock");
  }

  /**
   * Creates the lock directory (0700) and checks that it is this user's: anyone who could write
   * there could take every uid, or plant a symbolic link for the next claim to create.
   */
  private void prepareLockDir() {
    if (lockDirReady) {
      return;
    }
    try {
      if (!Files.isDirectory(lockDir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(lockDir.getParent());
        try {
          Files.createDirectory(
              lockDir,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException raced) {
          // another process made it first; checked below like any existing directory
        }
      }
      String wrong = whatIsWrong(lockDir, self);
      if (wrong != null) {
        throw new SandboxException("dir_unusable", wrong, false);
      }
      lockDirReady = true;
    } catch (IOException e) {
      throw new SandboxException(
          "dir_unusable", "cannot use sandbox uid lock directory " + lockDir + ": " + e, false, e);
    }
  }

  /**
   * What makes {@code dir} unfit for the claims of uid {@code self}, and how to fix it; null if it
   * is fit. Whoever owns or can write the directory could hold every uid's lock, or swap a lock
   * file, so a claim there would exclude no one.
   */
  static String whatIsWrong(Path dir, int self) throws IOException {
    String what = "sandbox uid lock directory " + dir;
    String stop = ". No sandbox uid is handed out (nor a sandbox needing one started) until ";
    String others =
        dir.startsWith("/run")
            ? ""
            : "; or start the agent with -Djava.io.tmpdir set to a directory only uid "
                + self
                + " can write (this one is used because /run is not writable)";
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return what
          + " is not a directory (a file or symbolic link is there)"
          + stop
          + "it is removed (rm "
          + dir
          + "); the next sandbox start then makes the directory"
          + others;
    }
    int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    if (owner != self) {
      String name = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName();
      return what
          + " is owned by uid "
          + owner
          + (name.equals(Integer.toString(owner)) ? "" : " (" + name + ")")
          + ", not by uid "
          + self
          + " that this agent runs as: someone else made it first, and could take or block every"
          + " uid claimed there"
          + stop
          + "it is fixed: remove it (as root: rm -r "
          + dir
          + "); the next sandbox start makes it again, no restart needed"
          + others;
    }
    int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & 0022) != 0) {
      return what
          + " has mode "
          + Integer.toOctalString(mode & 07777)
          + ", so other users can write it and take or block every uid claimed there"
          + stop
          + "it is fixed: chmod 700 "
          + dir;
    }
    return null;
  }

  private static void closeAfterFailure(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // already failing with the cause that matters
      }
    }
  }
}
