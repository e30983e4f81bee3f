package dev.agentfactory.sandbox.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** What /proc on the host says, for checking that sandboxes leave nothing behind. */
final class HostProcesses {

  private HostProcesses() {}

  /** Pids of host processes (zombies included) whose real uid is {@code uid}. */
  static List<Long> ownedBy(int uid) {
    List<Long> pids = new ArrayList<>();
    for (Path proc : pids()) {
      try {
        for (String line : Files.readAllLines(proc.resolve("status"))) {
          if (line.startsWith("Uid:") && line.split("\\s+")[1].equals(Integer.toString(uid))) {
            pids.add(Long.parseLong(proc.getFileName().toString()));
          }
        }
      } catch (IOException e) {
        // the process ended while we looked: it is not there, which is what we count
      }
    }
    return pids;
  }

  /** Pids of host processes (zombies included) whose real uid is in {@code [base, base+count)}. */
  static List<Long> ownedByRange(int base, int count) {
    List<Long> pids = new ArrayList<>();
    for (Path proc : pids()) {
      try {
        for (String line : Files.readAllLines(proc.resolve("status"))) {
          if (line.startsWith("Uid:")) {
            int uid = Integer.parseInt(line.split("\\s+")[1]);
            if (uid >= base && uid < base + count) {
              pids.add(Long.parseLong(proc.getFileName().toString()));
            }
          }
        }
      } catch (IOException e) {
        // ended while we looked
      }
    }
    return pids;
  }

  /** Pids of host processes whose command line contains {@code needle} (args joined by spaces). */
  static List<Long> withCommandLine(String needle) {
    List<Long> pids = new ArrayList<>();
    for (Path proc : pids()) {
      try {
        String cmdline =
            new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                .replace('\0', ' ');
        if (cmdline.contains(needle)) {
          pids.add(Long.parseLong(proc.getFileName().toString()));
        }
      } catch (IOException e) {
        // ended while we looked
      }
    }
    return pids;
  }

  static boolean exists(long pid) {
    return Files.exists(Path.of("/proc", Long.toString(pid)));
  }

  /** Polls {@code condition} until it holds or the deadline passes; returns its last value. */
  static boolean eventually(Duration within, BooleanSupplier condition) {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.onSpinWait();
      Thread.yield();
    }
    return true;
  }

  private static List<Path> pids() {
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      return entries.filter(p -> p.getFileName().toString().matches("\\d+")).toList();
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
    }
  }
}
