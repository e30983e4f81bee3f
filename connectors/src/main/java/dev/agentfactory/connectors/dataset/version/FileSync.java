package dev.agentfactory.connectors.dataset.version;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Makes what a cut wrote survive a power loss. A published manifest must never list a file that the
 * disk may still lose: the cut forces each copy it lists, and the directories that name them,
 * before it links the manifest. Tests substitute one that records the calls.
 */
interface FileSync {

  /** {@code fsync(2)} on Linux. */
  FileSync FSYNC =
      new FileSync() {
        @Override
        public void file(Path file) throws IOException {
          try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
          }
        }

        @Override
        public void directory(Path dir) {
          try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
          } catch (IOException | UnsupportedOperationException e) {
            // Not every platform can open a directory for fsync (Windows); Linux can.
          }
        }
      };

  /** Forces {@code file}'s content and size to the disk. */
  void file(Path file) throws IOException;

  /** Forces {@code dir}'s entries to the disk where the platform can; never fails. */
  void directory(Path dir);
}
