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
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The copies one cut writes without withdrawn rows, in its own directory {@code
 * <dataset>/_filtered/<cut>/} (e.g. {@code v3-1a2b3c4d}). While the cut runs it holds an OS lock on
 * {@code _filtered/.<cut>.lock}, taken before the directory exists, so a sweep in another process
 * (or this one) can tell a running cut's copies from an orphan's: the OS drops the lock when the
 * process dies. A cut that fails removes its copies ({@link #abandon}); a crash leaves them to
 * {@link #removeOrphans}, which a node runs at start.
 *
 * <p>Two orders keep a sweep from removing copies a version lists or will list. A cut publishes its
 * manifest before it releases its lock, and a sweep reads the manifests only once it holds a cut's
 * lock: so the cut is over, and its manifest, if any, is there to read. And only a cut creates a
 * lock file without copies next to it, so a cut whose lock file a sweep removed while the cut was
 * taking the lock notices and takes it again ({@link #begin}).
 */
final class FilteredCopies {

  private static final String LOCK_SUFFIX = ".lock";
  private static final int LOCK_ATTEMPTS = 3;

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
    return begin(datasetDir, cut, () -> {});
  }

  /** As {@link #begin(Path, String)}, running {@code beforeLock} between open and lock (tests). */
  static FilteredCopies begin(Path datasetDir, String cut, Runnable beforeLock) throws IOException {
    Path filtered = Files.createDirectories(datasetDir.resolve(WithdrawnRows.FILTERED_DIR));
    Path lockFile = filtered.resolve("." + cut + LOCK_SUFFIX);
    for (int attempt = 1; attempt <= LOCK_ATTEMPTS; attempt++) {
      FileChannel channel =
          FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        beforeLock.run();
        channel.lock();
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      // A sweep that found the file before it was locked here removes it as a dead cut's: this
      // lock would then hold a file no one else can find, and protect nothing. Sweeps create no
      // lock file without a copy directory, which this cut has not made yet, so a file still at
      // the name is the one locked here.
      if (Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS)) {
        return new FilteredCopies(datasetDir, filtered.resolve(cut), lockFile, channel);
      }
      channel.close();
    }
    throw new IOException(
        "lock file " + lockFile + " was removed while it was locked, " + LOCK_ATTEMPTS + " times");
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
   * @param listed the paths, relative to {@code datasetDir}, every version published by the time of
   *     the call lists; asked again for each copy directory once its lock is held
   * @param listedEntries runs once {@code _filtered/} is listed, before any lock is taken (tests)
   * @return the removed files, relative to {@code datasetDir}
   */
  static List<String> removeOrphans(
      Path datasetDir, Supplier<Set<String>> listed, Runnable listedEntries) throws IOException {
    Path filtered = datasetDir.resolve(WithdrawnRows.FILTERED_DIR);
    List<String> removed = new ArrayList<>();
    if (!Files.isDirectory(filtered, LinkOption.NOFOLLOW_LINKS)) {
      return removed;
    }
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(filtered)) {
      stream.forEach(entries::add);
    }
    listedEntries.run();
    for (Path entry : entries) {
      String name = entry.getFileName().toString();
      if (name.startsWith(".") && name.endsWith(LOCK_SUFFIX)) {
        String cut = name.substring(1, name.length() - LOCK_SUFFIX.length());
        if (!Files.exists(filtered.resolve(cut), LinkOption.NOFOLLOW_LINKS)) {
          // A lock without copies: removed if no cut holds it. Opened, never created: a cut that
          // finished or another sweep may have removed it since it was listed.
          withLockFree(entry, false, () -> {});
        }
      } else if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
        // The manifests are read while the lock is held, not before: a cut that published its
        // version and released its lock after an earlier read would lose the copies it lists.
        withLockFree(
            filtered.resolve("." + name + LOCK_SUFFIX),
            true,
            () -> removeUnreferenced(datasetDir, entry, listed.get(), removed));
      } else if (!listed.get().contains(relative(datasetDir, entry))) {
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
   * Without {@code create}, a lock file that is gone is left so, and {@code sweep} does not run.
   */
  private static void withLockFree(Path lockFile, boolean create, Sweep sweep) throws IOException {
    FileChannel opened;
    try {
      opened =
          create
              ? FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)
              : FileChannel.open(lockFile, StandardOpenOption.WRITE);
    } catch (NoSuchFileException e) {
      return;
    }
    try (FileChannel channel = opened) {
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
