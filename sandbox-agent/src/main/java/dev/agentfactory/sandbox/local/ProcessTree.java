package dev.agentfactory.sandbox.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The host processes below a sandbox's outermost process, as {@code /proc} shows them: found to be
 * killed when the sandbox ends, and waited for until they are reaped.
 */
final class ProcessTree {

  private ProcessTree() {}

  /**
   * The processes below {@code root}, from {@code /proc/<pid>/task/<tid>/children}: a few small
   * reads, where {@link ProcessHandle#descendants()} reads the stat file of every process on the
   * host (3 ms per close on a busy host). Falls back to that scan on kernels without the file.
   */
  static List<ProcessHandle> descendants(ProcessHandle root) {
    return descendants(root.pid());
  }

  static List<ProcessHandle> descendants(long rootPid) {
    List<ProcessHandle> out = new ArrayList<>();
    Deque<Long> todo = new ArrayDeque<>(List.of(rootPid));
    try {
      while (!todo.isEmpty()) {
        long pid = todo.poll();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        List<Path> threads;
        try (Stream<Path> s = Files.list(tasks)) {
          threads = s.toList();
        } catch (NoSuchFileException e) {
          continue; // exited meanwhile: its children went to the subreaper, found below it anyway
        }
        for (Path thread : threads) {
          String children;
          try {
            children = Files.readString(thread.resolve("children"));
          } catch (NoSuchFileException e) {
            if (!Files.exists(thread)) {
              continue; // the thread exited
            }
            throw e;
          }
          for (String child : children.trim().split("\\s+")) {
            if (!child.isEmpty()) {
              long c = Long.parseLong(child);
              ProcessHandle.of(c).ifPresent(out::add);
              todo.add(c);
            }
          }
        }
      }
      return out;
    } catch (IOException | RuntimeException e) {
      return ProcessHandle.of(rootPid).map(root -> root.descendants().toList()).orElse(List.of());
    }
  }

  /**
   * Waits until the processes are reaped, not merely dead: {@link ProcessHandle#isAlive} is false
   * for a zombie, and a zombie af-init means bwrap has not reaped it yet. Gives up after {@code
   * patience}.
   */
  static void awaitGone(List<ProcessHandle> processes, Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    while (processes.stream().anyMatch(p -> Files.exists(Path.of("/proc", Long.toString(p.pid()))))
        && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
    }
  }
}
