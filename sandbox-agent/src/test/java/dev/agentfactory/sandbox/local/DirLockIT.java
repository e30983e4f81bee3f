package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory lock against a second owner in this JVM and another process. The other process is
 * python3 taking the same kind of lock (POSIX {@code fcntl}, as Java's {@code FileChannel.tryLock}
 * does; {@code flock(1)} takes another kind, which does not conflict with it).
 */
class DirLockIT {

  private static final String TRY_LOCK =
      "import fcntl, sys\n"
          + "f = open(sys.argv[1], 'r+')\n"
          + "try:\n"
          + "    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
          + "except OSError:\n"
          + "    sys.exit(1)\n";

  @TempDir Path tmp;

  @Test
  void aSecondOwnerInThisJvmIsRefusedAndTheFirstKeepsTheDirectoryFromOtherProcesses()
      throws Exception {
    Path dir = tmp.resolve("work");
    try (DirLock first = DirLock.acquire(dir, "sandbox work dir")) {
      assertThat(otherProcessCanLock(dir)).as("held by the first owner").isFalse();

      // the same directory under another name: refused as this JVM's
      Path sameDir = tmp.resolve("work/../work");
      assertThatThrownBy(() -> DirLock.acquire(sameDir, "sandbox work dir"))
          .isInstanceOf(DirLock.InUseException.class)
          .hasMessageContaining("another owner in this process");

      // the refusal must not have dropped the first owner's lock for the whole process
      assertThat(otherProcessCanLock(dir)).as("still held by the first owner").isFalse();
    }
    assertThat(otherProcessCanLock(dir)).as("released by close").isTrue();
    try (DirLock again = DirLock.acquire(dir, "sandbox work dir")) {
      assertThat(otherProcessCanLock(dir)).isFalse();
    }
  }

  @Test
  void aDirectoryAnotherProcessHoldsIsRefusedWithItsPid() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("held"));
    Path file = dir.resolve(DirLock.FILE);
    Files.writeString(file, "");
    Process holder =
        new ProcessBuilder(
                "python3",
                "-c",
                "import fcntl, os, sys, time\n"
                    + "f = open(sys.argv[1], 'r+')\n"
                    + "fcntl.lockf(f, fcntl.LOCK_EX)\n"
                    + "f.write(str(os.getpid()) + '\\n'); f.flush()\n"
                    + "print('locked', flush=True)\n"
                    + "time.sleep(120)\n",
                file.toString())
            .redirectErrorStream(true)
            .start();
    try {
      String line =
          new String(
              holder.getInputStream().readNBytes("locked\n".length()), StandardCharsets.UTF_8);
      assertThat(line).isEqualTo("locked\n");
      assertThatThrownBy(() -> DirLock.acquire(dir, "node data dir"))
          .isInstanceOf(DirLock.InUseException.class)
          .hasMessageContaining("another process (pid " + holder.pid() + ")");
    } finally {
      holder.destroyForcibly().waitFor();
    }
    // the kernel dropped the dead holder's lock
    try (DirLock mine = DirLock.acquire(dir, "node data dir")) {
      assertThat(Files.readString(file).strip())
          .isEqualTo(Long.toString(ProcessHandle.current().pid()));
    }
  }

  /** Whether another process could take the directory's lock now (it lets go at once). */
  private static boolean otherProcessCanLock(Path dir) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("python3", "-c", TRY_LOCK, dir.resolve(DirLock.FILE).toString())
            .redirectErrorStream(true)
            .start();
    int exit = p.waitFor();
    assertThat(exit)
        .as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .isIn(0, 1);
    return exit == 0;
  }
}
