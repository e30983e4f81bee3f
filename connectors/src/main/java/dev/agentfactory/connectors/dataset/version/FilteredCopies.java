package dev.agentfactory.connectors.dataset.version;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The copies one cut writes without withdrawn rows, in its own directory {@code
 * <dataset>/_filtered/<cut>/} (e.g. {@code v3-1a2b3c4d}). While the cut runs it holds an OS lock on
 * {@code _filtered/.<cut>.lock}, taken before the directory exists, so a sweep in another process
 * (or this one) can tell a running cut's copies from an orphan's: the OS drops the lock when the
 * process dies. A cut that fails removes its copies ({@link #abandon}); a crash leaves them to
 * {@link #removeOrphans}, which a node runs at start.
 */
final class FilteredCopies {

  private static final String LOCK_SUFFIX = ".lock";

  private final Path datasetDir;
  private final Path dir;
  private final Path lockFile;
  private final FileChannel channel;

  private FilteredCopies(Path datasetDir, Path dir, Path lockFile, FileChannel channel) {
    this.datasetDir = datasetDir;
    this.dir = dir;
    this.lockFile = lockFile;
    this.channel = channel;
  }

  /** Locks the cut's copy directory {@code <datasetDir>/_filtered/<cut>} for the running cut. */
  static FilteredCopies begin(Path datasetDir, String cut) throws IOException {
    Path filtered = Files.createDirectories(datasetDir.resolve(WithdrawnRows.FILTERED_DIR));
    Path lockFile = filtered.resolve("." + cut + LOCK_SUFFIX);
    FileChannel channel =
        FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      channel.lock();
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    return new FilteredCopies(datasetDir, filtered.resolve(cut), lockFile, channel);
  }

  /**
   * Forces the copies written so far to the disk, with every directory from theirs up to the
   * dataset directory: a manifest that lists them must not be published before, or a power loss
   * could leave it listing a copy that is short or missing.
   */
  void sync(FileSync sync) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return; // no file had a withdrawn row
    }
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(dir)) {
      paths = walk.sorted(Comparator.reverseOrder()).toList(); // files before their directory
    }
    for (Path p : paths) {
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        sync.directory(p);
      } else {
        sync.file(p);
      }
    }
    sync.directory(dir.getParent()); // _filtered, naming this cut's directory
    sync.directory(datasetDir); // naming _filtered, new with the dataset's first copies
  }

  /** The cut published its version: its copies stay; an empty directory goes. */
  void finish() {
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // not empty: the version lists the copies in it
    }
    unlock();
  }

  /** The cut failed: its copies go, and a failure to remove them is added to {@code cause}. */
  void abandon(Throwable cause) {
    try {
      deleteTree(dir);
    } catch (IOException | RuntimeException e) {
      cause.addSuppressed(e);
    }
    unlock();
  }

  private void unlock() {
    try (channel) {
      Files.deleteIfExists(lockFile);
    } catch (IOException e) {
      // a stale, unlocked lock file is removed by the next sweep
    }
  }

  /**
   * Removes what under {@code <datasetDir>/_filtered/} no published version lists: copies of cuts
   * that failed or were interrupted, and stale lock files. A copy directory whose cut still holds
   * its lock (a cut running in this or another process) is left alone.
   *
   * @param referenced the paths, relative to {@code datasetDir}, every published version lists
   * @return the removed files, relative to {@code datasetDir}
   */
  static List<String> removeOrphans(Path datasetDir, Set<String> referenced) throws IOException {
    Path filtered = datasetDir.resolve(WithdrawnRows.FILTERED_DIR);
    List<String> removed = new ArrayList<>();
    if (!Files.isDirectory(filtered, LinkOption.NOFOLLOW_LINKS)) {
      return removed;
    }
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(filtered)) {
      stream.forEach(entries::add);
    }
    for (Path entry : entries) {
      String name = entry.getFileName().toString();
      if (name.startsWith(".") && name.endsWith(LOCK_SUFFIX)) {
        String cut = name.substring(1, name.length() - LOCK_SUFFIX.length());
        if (!Files.exists(filtered.resolve(cut), LinkOption.NOFOLLOW_LINKS)) {
          withLockFree(entry, () -> {}); // a lock without copies: removed if no cut holds it
        }
      } else if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
        withLockFree(
            filtered.resolve("." + name + LOCK_SUFFIX),
            () -> removeUnreferenced(datasetDir, entry, referenced, removed));
      } else if (!referenced.contains(relative(datasetDir, entry))) {
        Files.deleteIfExists(entry);
        removed.add(relative(datasetDir, entry));
      }
    }
    return removed;
  }

  private interface Sweep {
    void run() throws IOException;
  }

  /**
   * Runs {@code sweep} and removes {@code lockFile} if no cut holds the lock; else does nothing.
   */
  private static void withLockFree(Path lockFile, Sweep sweep) throws IOException {
    try (FileChannel channel =
        FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        return; // a cut of this process holds it
      }
      if (lock == null) {
        return; // a cut of another process holds it
      }
      sweep.run();
      Files.deleteIfExists(lockFile);
    }
  }

  private static void removeUnreferenced(
      Path datasetDir, Path cutDir, Set<String> referenced, List<String> removed)
      throws IOException {
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(cutDir)) {
      paths = walk.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path p : paths) {
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        try (DirectoryStream<Path> children = Files.newDirectoryStream(p)) {
          if (children.iterator().hasNext()) {
            continue; // holds a listed copy
          }
        }
        Files.deleteIfExists(p);
      } else if (!referenced.contains(relative(datasetDir, p))) {
        Files.deleteIfExists(p);
        removed.add(relative(datasetDir, p));
      }
    }
  }

  private static String relative(Path datasetDir, Path file) {
    return datasetDir.relativize(file).toString().replace(java.io.File.separatorChar, '/');
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(dir)) {
      paths = walk.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path p : paths) {
      try {
        Files.deleteIfExists(p);
      } catch (NoSuchFileException e) {
        // gone meanwhile
      }
    }
  }
}
