package dev.agentfactory.connectors.dataset.version;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * The finished files of a dataset directory. {@code FileSink} writes in-progress and pending part
 * files dot-prefixed and renames them to {@code part-*} when a checkpoint commits them, so a
 * visible {@code part-*} regular file is committed. Skipped: dot- and {@code _}-prefixed files and
 * directories (which prunes {@code _versions}), {@code .crc} side files and symbolic links.
 *
 * <p>A running sink renames and deletes its hidden files while a scan lists the directory: an entry
 * that is gone by the time it is looked at was never a committed file, and is skipped instead of
 * failing the scan ({@link Files#walk} throws {@code UncheckedIOException} for it).
 */
public final class CommittedFiles {

  private CommittedFiles() {}

  /**
   * The committed part files under {@code datasetDir} as paths, sorted; none when the directory
   * does not exist (a sink that has not written yet).
   */
  public static List<Path> list(Path datasetDir) throws IOException {
    if (!Files.isDirectory(datasetDir)) {
      return List.of();
    }
    List<Path> files = new ArrayList<>();
    for (String relative : scan(datasetDir)) {
      files.add(datasetDir.resolve(relative));
    }
    return files;
  }

  /** Paths relative to {@code datasetDir}, {@code /}-separated, sorted. */
  static List<String> scan(Path datasetDir) throws IOException {
    List<String> found = new ArrayList<>();
    // walkFileTree does not follow links by default: a link is visited as a non-regular file.
    Files.walkFileTree(
        datasetDir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            return dir.equals(datasetDir) || visible(dir)
                ? FileVisitResult.CONTINUE
                : FileVisitResult.SKIP_SUBTREE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            String name = file.getFileName().toString();
            if (attrs.isRegularFile() && name.startsWith("part-") && !name.endsWith(".crc")) {
              found.add(relative(datasetDir, file));
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException && !file.equals(datasetDir)) {
              return FileVisitResult.CONTINUE; // renamed or deleted since it was listed
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e == null || (e instanceof NoSuchFileException && !dir.equals(datasetDir))) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }
        });
    found.sort(null);
    return found;
  }

  /** {@code file} relative to {@code dir} with {@code /} separators on every platform. */
  static String relative(Path dir, Path file) {
    StringBuilder path = new StringBuilder();
    for (Path part : dir.relativize(file)) {
      if (path.length() > 0) {
        path.append('/');
      }
      path.append(part);
    }
    return path.toString();
  }

  private static boolean visible(Path dir) {
    String name = dir.getFileName().toString();
    return !name.startsWith(".") && !name.startsWith("_");
  }
}
