package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive lock on {@code <dir>/.lock}, held until {@link #close()} or the process ends: the
 * one owner of a directory that a start-up empties (a pool's work dir) or opens exclusively (a
 * node's data dir). Taken before anything in the directory is touched, so a second process started
 * on the same directory fails without harming the first. The holder's pid is written into the file
 * so the refusal can name it.
 *
 * <pre>{@code
 * try (DirLock lock = DirLock.acquire(dir, "sandbox work dir")) {
 *   // this process owns dir
 * }
 * }</pre>
 *
 * <p>Java's file locks are POSIX record locks, which belong to the process: closing any channel on
 * the file drops them for the whole process. So a second owner in this JVM is refused before it
 * opens the file ({@link #HELD_IN_JVM}); opening and closing it, as a failed {@code tryLock} would,
 * would have freed the first owner's directory to other processes.
 */
public final class DirLock implements AutoCloseable {

  static final String FILE = ".lock";

  /** Lock files (real paths) held by a {@code DirLock} of this JVM. */
  private static final Set<Path> HELD_IN_JVM = ConcurrentHashMap.newKeySet();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private DirLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Creates {@code dir} if needed and locks it.
   *
   * @param what what the directory is, for the error ({@code "sandbox work dir"})
   * @throws InUseException when another process (or another owner in this JVM) holds the lock
   * @throws SandboxException {@code dir_unusable} when the lock file cannot be created
   */
  public static DirLock acquire(Path dir, String what) {
    Path file = dir.resolve(FILE);
    try {
      Files.createDirectories(dir);
      file = dir.toRealPath().resolve(FILE);
    } catch (IOException e) {
      throw new SandboxException(
          "dir_unusable", what + " " + dir + " cannot be locked (" + file + "): " + e, false, e);
    }
    if (!HELD_IN_JVM.add(file)) {
      throw new InUseException(what, dir, "another owner in this process");
    }
    FileChannel channel = null;
    try {
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        // locked in this JVM other than through DirLock: keep the channel open (closing it would
        // drop that lock) and the file marked held
        throw new InUseException(what, dir, "another owner in this process");
      }
      if (lock == null) {
        Long holder = readPid(channel);
        channel.close();
        HELD_IN_JVM.remove(file);
        throw new InUseException(
            what, dir, "another process" + (holder == null ? "" : " (pid " + holder + ")"));
      }
      byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(pid), 0);
      return new DirLock(file, channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      HELD_IN_JVM.remove(file);
      throw new SandboxException(
          "dir_unusable", what + " " + dir + " cannot be locked (" + file + "): " + e, false, e);
    }
  }

  /** The pid the holder wrote, or null if it cannot be read (yet). */
  private static Long readPid(FileChannel channel) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(32);
    channel.read(buf, 0);
    String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).strip();
    try {
      return text.isEmpty() ? null : Long.parseLong(text);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // already failing with the cause that matters
      }
    }
  }

  /** Releases the lock; the file stays (deleting it would race with the next owner's open). */
  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException ignored) {
      // closing the channel below releases it too
    }
    closeQuietly(channel);
    // only now: another owner here may open the file once this channel is closed
    HELD_IN_JVM.remove(file);
  }

  /** Another process (or another owner in this JVM) holds the directory. */
  public static final class InUseException extends SandboxException {

    InUseException(String what, Path dir, String holder) {
      super(
          "dir_in_use",
          what + " " + dir + " is in use by " + holder + ": stop it or choose another directory",
          false);
    }
  }
}
