package dev.agentfactory.sandbox.cgroup;

import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Reading and writing cgroup control files; every failure is a {@link SandboxException}. */
final class CgroupFiles {

  static final Duration PATIENCE = Duration.ofSeconds(5);

  private CgroupFiles() {}

  static void write(Path file, String value) {
    try {
      Files.writeString(file, value);
    } catch (IOException e) {
      throw new SandboxException(
          "cgroup_failed", "cannot write '" + value + "' to " + file + ": " + e, false, e);
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new SandboxException("cgroup_failed", "cannot read " + file + ": " + e, false, e);
    }
  }

  /** The value of {@code key} in a flat-keyed file such as {@code memory.events}; 0 if absent. */
  static long keyed(Path file, String key) {
    if (!Files.exists(file)) {
      return 0;
    }
    return keyedIn(read(file), key);
  }

  /** The value of {@code key} in the text of a flat-keyed file; 0 if absent. */
  static long keyedIn(String text, String key) {
    for (String line : text.split("\n")) {
      String[] kv = line.trim().split("\\s+");
      if (kv.length == 2 && kv[0].equals(key)) {
        return Long.parseLong(kv[1]);
      }
    }
    return 0;
  }

  /**
   * A control file kept open and re-read from offset 0: on cgroupfs the open is most of the cost of
   * a read (Files.readString of a counter file 120-230 µs on a busy 2-core host, a positional read
   * of an open one 2-15 µs), and the counters are read after every command.
   */
  static final class Reread implements AutoCloseable {
    private final Path file;
    private FileChannel channel; // guarded by this; null until the first read and after close
    private boolean closed; // guarded by this

    Reread(Path file) {
      this.file = file;
    }

    /** The file's current content; empty when it does not exist (controller not available). */
    synchronized String read() {
      try {
        if (channel == null) {
          if (closed) {
            return Files.exists(file) ? CgroupFiles.read(file) : "";
          }
          channel = FileChannel.open(file, StandardOpenOption.READ);
        }
        ByteBuffer buf = ByteBuffer.allocate(512);
        long pos = 0;
        int n;
        while ((n = channel.read(buf, pos)) > 0) {
          pos += n;
          if (!buf.hasRemaining()) {
            ByteBuffer bigger = ByteBuffer.allocate(buf.capacity() * 2);
            buf.flip();
            bigger.put(buf);
            buf = bigger;
          }
        }
        return new String(buf.array(), 0, (int) pos, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        return "";
      } catch (IOException e) {
        throw new SandboxException("cgroup_failed", "cannot read " + file + ": " + e, false, e);
      }
    }

    long keyed(String key) {
      return keyedIn(read(), key);
    }

    @Override
    public synchronized void close() {
      closed = true;
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException e) {
          // a read-only control file: nothing is lost
        }
        channel = null;
      }
    }
  }

  /**
   * Removes an empty, childless cgroup directory with one rmdir; false when that is not enough
   * (tasks or children left, or an error), so the caller takes the careful way.
   */
  static boolean removeEmpty(Path dir) {
    try {
      Files.deleteIfExists(dir);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static long number(Path file) {
    String text = read(file).trim();
    return text.isEmpty() || text.equals("max") ? 0 : Long.parseLong(text);
  }

  static void mkdir(Path dir) {
    try {
      Files.createDirectory(dir);
    } catch (IOException e) {
      throw new SandboxException("cgroup_failed", "cannot create " + dir + ": " + e, false, e);
    }
  }

  static List<Long> pids(Path procs) {
    List<Long> pids = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(procs)) {
        if (!line.isBlank()) {
          pids.add(Long.parseLong(line.trim()));
        }
      }
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new SandboxException("cgroup_failed", "cannot read " + procs + ": " + e, false, e);
    }
    return pids;
  }

  /**
   * Removes a cgroup directory (children first), retrying while the kernel still counts exiting
   * tasks in it. Only the directories go: cgroup control files cannot be deleted.
   */
  static void remove(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> children = Files.list(dir)) {
      for (Path child : children.filter(Files::isDirectory).toList()) {
        remove(child);
      }
    } catch (IOException e) {
      throw new SandboxException("cgroup_failed", "cannot list " + dir + ": " + e, false, e);
    }
    IOException last = null;
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        Files.deleteIfExists(dir);
        return;
      } catch (DirectoryNotEmptyException e) {
        // rmdir(2) on a cgroup with tasks is EBUSY, which Java reports as not empty
        last = e;
      } catch (IOException e) {
        last = e;
      }
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(500));
    }
    throw new SandboxException(
        "cgroup_failed", "cannot remove " + dir + " (tasks left?): " + last, false, last);
  }

  /** Polls until {@code done} holds; fails naming {@code what} after {@link #PATIENCE}. */
  static void await(String what, BooleanSupplier done) {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new SandboxException("cgroup_failed", "timed out waiting for " + what, false);
      }
      Thread.onSpinWait();
    }
  }
}
