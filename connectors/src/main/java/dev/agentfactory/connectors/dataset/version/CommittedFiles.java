package dev.agentfactory.connectors.dataset.version;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
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
 */
final class CommittedFiles {

  private CommittedFiles() {}

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
