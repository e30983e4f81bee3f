package dev.agentfactory.edge.dataset;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable record of this node's dataset cuts: one JSON file per cut in {@code
 * DATA_DIR/edge/dataset-cuts/}, the status the REST API shows, written (temp file, then an atomic
 * rename) when a cut starts, as it progresses (at most once a second) and when it ends. Every
 * method blocks on file I/O: call it from a worker pool.
 *
 * <p>A cut still {@code running} in the store when the node starts was cut short by a crash or a
 * kill: {@link #recover()} records it as failed with {@code interrupted}, so a status never stays
 * {@code running} forever.
 */
final class DatasetCutStore {

  private static final Logger LOG = LoggerFactory.getLogger(DatasetCutStore.class);
  private static final Pattern NAME =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.json");

  private final Path dir;

  DatasetCutStore(Path dir) {
    this.dir = dir;
  }

  /** Writes the cut's current state, replacing the previous one atomically. */
  void save(DatasetCut cut) throws IOException {
    Files.createDirectories(dir);
    Path target = dir.resolve(cut.id() + ".json");
    Path tmp = dir.resolve("." + cut.id() + "." + UUID.randomUUID() + ".tmp");
    try {
      Files.write(tmp, cut.toJson().encode().getBytes(StandardCharsets.UTF_8));
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Forgets a cut (the node keeps the last {@link DatasetCuts#KEPT_CUTS}). */
  void delete(String cutId) throws IOException {
    Files.deleteIfExists(dir.resolve(cutId + ".json"));
  }

  /**
   * The stored cuts, oldest first, at most {@code keep} (older ones are deleted). Cuts stored as
   * {@code running} are recorded as failed with {@code interrupted}: this node was not running them
   * any more. Unreadable records are skipped with a warning.
   */
  List<DatasetCut> recover(int keep) throws IOException {
    List<DatasetCut> cuts = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return cuts;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        if (!NAME.matcher(file.getFileName().toString()).matches()) {
          continue;
        }
        try {
          cuts.add(DatasetCut.fromJson(new JsonObject(Files.readString(file))));
        } catch (NoSuchFileException e) {
          // deleted meanwhile
        } catch (DecodeException | IllegalArgumentException | NullPointerException e) {
          LOG.warn("dataset cut record {} is unreadable; skipped: {}", file, e.toString());
        }
      }
    }
    cuts.sort(Comparator.comparing(DatasetCut::startedAt).thenComparing(DatasetCut::id));
    while (cuts.size() > keep) {
      delete(cuts.remove(0).id());
    }
    for (DatasetCut cut : cuts) {
      if (cut.running()) {
        cut.interrupted(
            "the node stopped while this cut ran (a crash or a kill); the cut did not finish"
                + " here. A version it was about to publish is complete or absent: list the"
                + " versions, and cut again if it is missing");
        save(cut);
        LOG.warn("dataset {}: cut {} was interrupted by a node stop", cut.dataset(), cut.id());
      }
    }
    return cuts;
  }
}
