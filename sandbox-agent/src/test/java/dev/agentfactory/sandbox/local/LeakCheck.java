package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Asserts that a closed pool left nothing on the host: no process whose command line names its work
 * dir (bwrap, af-init, tar), no process of its uid range, no mount under its work dir, and no
 * {@code af-<pool>} cgroup directory in any hierarchy.
 */
final class LeakCheck {

  private LeakCheck() {}

  static void assertNothingLeftBy(Path workDir, int uidBase, int uidCount) {
    assertThat(
            HostProcesses.eventually(
                Duration.ofSeconds(5),
                () ->
                    HostProcesses.withCommandLine(workDir.toString()).isEmpty()
                        && HostProcesses.ownedByRange(uidBase, uidCount).isEmpty()))
        .as("processes of the pool")
        .isTrue();
    assertThat(mountsUnder(workDir)).as("mounts under " + workDir).isEmpty();
    assertThat(cgroupDirs("af-" + PoolHost.poolName(workDir))).as("cgroups").isEmpty();
  }

  static List<String> mountsUnder(Path dir) {
    try {
      return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
          .map(line -> line.split(" ")[4])
          .filter(mountPoint -> mountPoint.startsWith(dir.toString()))
          .toList();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Directories named {@code name} anywhere in the host's cgroup hierarchies. */
  static List<Path> cgroupDirs(String name) {
    List<Path> found = new ArrayList<>();
    try (Stream<Path> dirs = Files.walk(Path.of("/sys/fs/cgroup"), 6)) {
      dirs.filter(p -> p.getFileName() != null && p.getFileName().toString().equals(name))
          .forEach(found::add);
    } catch (IOException | java.io.UncheckedIOException e) {
      // a cgroup vanished while we walked: not ours, which is what we check
    }
    return found;
  }
}
