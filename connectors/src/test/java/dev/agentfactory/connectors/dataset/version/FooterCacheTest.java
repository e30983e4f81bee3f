package dev.agentfactory.connectors.dataset.version;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The cache over fake files: a stamp and a row count per path, and every footer read recorded. */
class FooterCacheTest {

  private static final MessageType SCHEMA =
      MessageTypeParser.parseMessageType(
          "message row { required binary scrub_policy_version (STRING); }");

  private final Map<Path, FooterCache.Stamp> stamps = new ConcurrentHashMap<>();
  private final Map<Path, Long> rows = new ConcurrentHashMap<>();
  private final List<Path> reads = new CopyOnWriteArrayList<>();
  private final AtomicReference<Runnable> whileReading = new AtomicReference<>(() -> {});
  private ExecutorService pool;

  private FooterCache cache(int capacity) {
    return new FooterCache(
        capacity,
        (file, policies) -> {
          reads.add(file);
          whileReading.get().run();
          return new ParquetFooter(
              rows.get(file), SCHEMA, "{}", policies ? Set.of("pii-v1") : Set.of());
        },
        file -> {
          FooterCache.Stamp stamp = stamps.get(file);
          if (stamp == null) {
            throw new NoSuchFileException(file.toString());
          }
          return stamp;
        });
  }

  private Path file(String name, long size, long modifiedMillis, long rowCount) {
    Path file = Path.of("/data/sft/b", name);
    stamps.put(file, new FooterCache.Stamp(size, FileTime.fromMillis(modifiedMillis), 1L));
    rows.put(file, rowCount);
    return file;
  }

  @AfterEach
  void stopPool() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  @Test
  void anUnchangedFileIsReadOnce() throws Exception {
    FooterCache cache = cache(10);
    Path a = file("part-0", 100, 1_000, 2);
    Path b = file("part-1", 200, 1_000, 3);

    assertThat(cache.get(a, false).rows()).isEqualTo(2);
    assertThat(cache.get(b, false).rows()).isEqualTo(3);
    assertThat(cache.get(a, false).rows()).isEqualTo(2);
    assertThat(cache.get(b, false).rows()).isEqualTo(3);

    assertThat(reads).containsExactly(a, b);
  }

  @Test
  void aFileWithAnotherSizeModificationTimeOrFileKeyIsReadAgain() throws Exception {
    FooterCache cache = cache(10);
    Path a = file("part-0", 100, 1_000, 2);
    cache.get(a, false);

    file("part-0", 150, 1_000, 4);
    assertThat(cache.get(a, false).rows()).isEqualTo(4);
    file("part-0", 150, 2_000, 5);
    assertThat(cache.get(a, false).rows()).isEqualTo(5);
    stamps.put(a, new FooterCache.Stamp(150, FileTime.fromMillis(2_000), 2L));
    rows.put(a, 6L);
    assertThat(cache.get(a, false).rows()).isEqualTo(6);
    assertThat(cache.get(a, false).rows()).isEqualTo(6);

    assertThat(reads).containsExactly(a, a, a, a);
    assertThat(cache.size()).isEqualTo(1);
  }

  @Test
  void scrubPoliciesAreReadWhenFirstAskedForAndServeCallsWithoutThem() throws Exception {
    FooterCache cache = cache(10);
    Path a = file("part-0", 100, 1_000, 2);

    assertThat(cache.get(a, false).scrubPolicies()).isEmpty();
    assertThat(cache.get(a, true).scrubPolicies()).containsExactly("pii-v1");
    assertThat(cache.get(a, true).scrubPolicies()).containsExactly("pii-v1");
    assertThat(cache.get(a, false).rows()).isEqualTo(2);

    assertThat(reads).containsExactly(a, a);
  }

  @Test
  void readAlwaysReadsAndLeavesTheFooterForTheNextGet() throws Exception {
    FooterCache cache = cache(10);
    Path a = file("part-0", 100, 1_000, 2);

    cache.read(a, true);
    cache.read(a, true);
    cache.get(a, false);

    assertThat(reads).containsExactly(a, a);
  }

  @Test
  void aFileThatChangesWhileItIsReadIsReadAgainNextTime() throws Exception {
    FooterCache cache = cache(10);
    Path a = file("part-0", 100, 1_000, 2);
    whileReading.set(() -> file("part-0", 300, 2_000, 9));

    cache.get(a, false);
    whileReading.set(() -> {});
    assertThat(cache.get(a, false).rows()).isEqualTo(9);
    assertThat(cache.get(a, false).rows()).isEqualTo(9);

    assertThat(reads).containsExactly(a, a);
  }

  @Test
  void theLeastRecentlyUsedFileIsDroppedPastTheCapacity() throws Exception {
    FooterCache cache = cache(2);
    Path a = file("part-0", 100, 1_000, 1);
    Path b = file("part-1", 100, 1_000, 2);
    Path c = file("part-2", 100, 1_000, 3);

    cache.get(a, false);
    cache.get(b, false);
    cache.get(a, false); // b is now the least recently used
    cache.get(c, false);
    reads.clear();

    cache.get(a, false);
    cache.get(c, false);
    assertThat(reads).isEmpty();
    cache.get(b, false);
    assertThat(reads).containsExactly(b);
    assertThat(cache.size()).isEqualTo(2);
  }

  @Test
  void concurrentCallersGetEachFilesOwnFooter() throws Exception {
    FooterCache cache = cache(50);
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      files.add(file("part-" + i, 100 + i, 1_000, i));
    }
    pool = Executors.newFixedThreadPool(4);
    List<Future<?>> callers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      callers.add(
          pool.submit(
              () -> {
                for (int round = 0; round < 20; round++) {
                  for (int i = 0; i < files.size(); i++) {
                    assertThat(cache.get(files.get(i), round % 2 == 0).rows()).isEqualTo(i);
                  }
                }
                return null;
              }));
    }
    for (Future<?> caller : callers) {
      caller.get(60, TimeUnit.SECONDS);
    }
    assertThat(cache.size()).isEqualTo(50);
  }
}
