package dev.agentfactory.connectors.dataset.version;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The Parquet footers a catalog read, by file, each valid while the file keeps the size,
 * modification time and file key (inode) it had when read: a file rewritten in place or replaced is
 * read again. Committed files are immutable, so a listing of a dataset whose files did not change
 * opens none of them. Holds at most {@code capacity} files, dropping the least recently used.
 * Thread-safe: the lock covers only the map, never a read.
 */
final class FooterCache {

  /** Reads one file's footer ({@link ParquetFooter#read} outside tests). */
  @FunctionalInterface
  interface Reader {
    ParquetFooter read(Path file, boolean withScrubPolicies) throws IOException;
  }

  /** A file's identity as far as the cache can tell ({@link #of} outside tests). */
  record Stamp(long size, FileTime modified, Object fileKey) {

    static Stamp of(Path file) throws IOException {
      BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
      return new Stamp(attrs.size(), attrs.lastModifiedTime(), attrs.fileKey());
    }
  }

  /** Stamps a file ({@link Stamp#of} outside tests). */
  @FunctionalInterface
  interface Stamper {
    Stamp stamp(Path file) throws IOException;
  }

  private record Entry(Stamp stamp, ParquetFooter footer, boolean withScrubPolicies) {}

  private final Reader reader;
  private final Stamper stamper;

  // Guarded by itself. Access order: a hit moves the file to the end, the eldest is evicted.
  private final Map<Path, Entry> entries;

  // Guarded by entries. The schema last stored: files of a dataset share one, so they share it.
  private ParquetFooter lastStored;

  FooterCache(int capacity) {
    this(capacity, ParquetFooter::read, Stamp::of);
  }

  FooterCache(int capacity, Reader reader, Stamper stamper) {
    if (capacity < 1) {
      throw new IllegalArgumentException("footer cache capacity must be positive: " + capacity);
    }
    this.reader = reader;
    this.stamper = stamper;
    this.entries =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Path, Entry> eldest) {
            return size() > capacity;
          }
        };
  }

  /**
   * The footer of {@code file}: as cached if the file is unchanged since it was read (and the scrub
   * policies were read too if asked for), else read now.
   */
  ParquetFooter get(Path file, boolean withScrubPolicies) throws IOException {
    Stamp stamp = stamper.stamp(file);
    Entry entry;
    synchronized (entries) {
      entry = entries.get(file);
    }
    if (entry != null
        && entry.stamp().equals(stamp)
        && (entry.withScrubPolicies() || !withScrubPolicies)) {
      return entry.footer();
    }
    return readAndStore(file, stamp, withScrubPolicies);
  }

  /** The footer of {@code file} read now, never from the cache; stored for later {@link #get}s. */
  ParquetFooter read(Path file, boolean withScrubPolicies) throws IOException {
    return readAndStore(file, stamper.stamp(file), withScrubPolicies);
  }

  private ParquetFooter readAndStore(Path file, Stamp before, boolean withScrubPolicies)
      throws IOException {
    ParquetFooter footer = reader.read(file, withScrubPolicies);
    // Stored only if the file did not change while it was read: the footer then belongs to the
    // stamp. Otherwise the next call reads it again.
    Stamp after = stamper.stamp(file);
    synchronized (entries) {
      if (after.equals(before)) {
        entries.put(file, new Entry(after, shareSchema(footer), withScrubPolicies));
      } else {
        entries.remove(file);
      }
    }
    return footer;
  }

  /** {@code footer} with the schema objects of the last stored one where they are equal. */
  private ParquetFooter shareSchema(ParquetFooter footer) {
    boolean same =
        lastStored != null
            && lastStored.schema().equals(footer.schema())
            && Objects.equals(lastStored.avroSchema(), footer.avroSchema());
    lastStored =
        new ParquetFooter(
            footer.rows(),
            same ? lastStored.schema() : footer.schema(),
            same ? lastStored.avroSchema() : footer.avroSchema(),
            Set.copyOf(footer.scrubPolicies()));
    return lastStored;
  }

  /** How many files are cached. */
  int size() {
    synchronized (entries) {
      return entries.size();
    }
  }
}
