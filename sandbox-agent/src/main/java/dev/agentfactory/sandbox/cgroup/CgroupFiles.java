package dev.agentfactory.sandbox.cgroup;

import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
    for (String line : read(file).split("\n")) {
      String[] kv = line.trim().split("\\s+");
      if (kv.length == 2 && kv[0].equals(key)) {
        return Long.parseLong(kv[1]);
      }
    }
    return 0;
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
