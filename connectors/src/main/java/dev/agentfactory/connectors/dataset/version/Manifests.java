package dev.agentfactory.connectors.dataset.version;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The manifests of a dataset's published versions, {@code <dataset>/_versions/v<N>.json}: numbered
 * by their names, read, and each published once and never rewritten. Failures name the dataset as
 * {@link DatasetException}s.
 */
final class Manifests {

  static final String VERSIONS_DIR = "_versions";
  private static final Pattern MANIFEST_NAME = Pattern.compile("v([1-9][0-9]{0,8})\\.json");

  private Manifests() {}

  /** Where version {@code n} of the dataset in {@code dir} has (or would have) its manifest. */
  static Path path(Path dir, int n) {
    return dir.resolve(VERSIONS_DIR).resolve("v" + n + ".json");
  }

  /** The published version numbers, ascending, from the manifests' names alone. */
  static List<Integer> numbers(String name, Path dir) {
    Path versions = dir.resolve(VERSIONS_DIR);
    List<Integer> numbers = new ArrayList<>();
    if (!Files.isDirectory(versions)) {
      return numbers;
    }
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(versions)) {
      for (Path p : stream) {
        Matcher m = MANIFEST_NAME.matcher(p.getFileName().toString());
        if (m.matches()) {
          numbers.add(Integer.parseInt(m.group(1)));
        }
      }
    } catch (IOException e) {
      throw DatasetException.io("cannot list versions of dataset '" + name + "'", e);
    }
    numbers.sort(null);
    return numbers;
  }

  /** The highest published version number, 0 if none is. */
  static int latest(String name, Path dir) {
    List<Integer> numbers = numbers(name, dir);
    return numbers.isEmpty() ? 0 : numbers.get(numbers.size() - 1);
  }

  /**
   * Version {@code n}'s manifest, empty if it has none.
   *
   * @throws DatasetException {@code io_error} if it cannot be read, is invalid or claims to be
   *     another version
   */
  static Optional<DatasetVersion> read(String name, Path dir, int n) {
    Path manifest = path(dir, n);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(manifest);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw DatasetException.io("cannot read version " + n + " of dataset '" + name + "'", e);
    }
    DatasetVersion version;
    try {
      version = ManifestCodec.decode(bytes);
    } catch (IllegalArgumentException e) {
      throw DatasetException.io("manifest " + manifest + " is invalid", e);
    }
    if (!version.dataset().equals(name) || version.version() != n) {
      throw new DatasetException(
          DatasetException.Code.IO_ERROR,
          "manifest " + manifest + " claims to be " + version.dataset() + " v" + version.version());
    }
    return Optional.of(version);
  }

  /**
   * When version {@code n}'s manifest was written, by the file system's clock like the data files'
   * times (a shared directory's nodes may disagree on the time); null if it cannot be read.
   */
  static FileTime written(Path dir, int n) {
    try {
      return Files.getLastModifiedTime(path(dir, n));
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Publishes the manifest atomically and exclusively: temp file, fsync, then a hard link to the
   * final name, which (unlike a rename) fails if the name exists, so a published version is never
   * replaced. Falls back to an atomic rename after an existence check where links are unsupported.
   */
  static void publish(String name, Path dir, int number, byte[] json, FileSync sync) {
    Path versions = dir.resolve(VERSIONS_DIR);
    Path target = versions.resolve("v" + number + ".json");
    Path tmp = versions.resolve(".v" + number + ".json." + UUID.randomUUID() + ".tmp");
    try {
      Files.createDirectories(versions);
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(json);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.createLink(target, tmp);
      } catch (UnsupportedOperationException e) {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
          throw lostRace(name, number);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      }
      sync.directory(versions);
    } catch (FileAlreadyExistsException e) {
      throw lostRace(name, number);
    } catch (IOException e) {
      throw DatasetException.io("cannot write version " + number + " of dataset '" + name + "'", e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException e) {
        // A leftover hidden temp file is ignored by every reader; the version is what matters.
      }
    }
  }

  /** The failure of a cut whose version number another cut published first. */
  static DatasetException lostRace(String name, int number) {
    return DatasetException.conflict(
        "version " + number + " of dataset '" + name + "' was published by a concurrent cut");
  }

  /**
   * The paths the published versions of a dataset list, as of each call; a call reads only the
   * manifests published since the last.
   */
  static final class ListedPaths implements Supplier<Set<String>> {
    private final String name;
    private final Path dir;
    private final IntFunction<Optional<DatasetVersion>> versions;
    private final Set<Integer> read = new HashSet<>();
    private final Set<String> paths = new HashSet<>();

    /**
     * @param versions reads a version's manifest by number
     */
    ListedPaths(String name, Path dir, IntFunction<Optional<DatasetVersion>> versions) {
      this.name = name;
      this.dir = dir;
      this.versions = versions;
    }

    @Override
    public Set<String> get() {
      for (int n : numbers(name, dir)) {
        if (!read.contains(n)) {
          versions.apply(n).ifPresent(v -> v.files().forEach(f -> paths.add(f.path())));
          read.add(n);
        }
      }
      return paths;
    }
  }
}
