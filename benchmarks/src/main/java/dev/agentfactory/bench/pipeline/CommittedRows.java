package dev.agentfactory.bench.pipeline;

import dev.agentfactory.connectors.dataset.version.CommittedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The committed part files under {@code <datasets>/sft}: each file is read once, when it first
 * appears (a committed file never changes), and its example ids stamped with that poll's time.
 */
final class CommittedRows implements AutoCloseable {
  private final Path dir;
  private final Set<Path> readFiles = new HashSet<>();
  private final Map<String, Long> seen = new ConcurrentHashMap<>();
  private final Connection db;

  CommittedRows(Path dir) throws SQLException {
    this.dir = dir;
    this.db = DriverManager.getConnection("jdbc:duckdb:");
  }

  /** Example id → the poll time (nanoTime) its file was first seen. */
  Map<String, Long> seen() {
    return seen;
  }

  int pollUnchecked(long now) {
    try {
      return poll(now);
    } catch (IOException | SQLException e) {
      throw new IllegalStateException("cannot read the committed Parquet files", e);
    }
  }

  /** Lists the directory once; returns how many new rows it found. */
  synchronized int poll(long now) throws IOException, SQLException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    List<Path> fresh = new ArrayList<>();
    for (Path p : CommittedFiles.list(dir)) {
      if (p.getFileName().toString().endsWith(".parquet") && !readFiles.contains(p)) {
        fresh.add(p);
      }
    }
    int rows = 0;
    for (Path file : fresh) {
      try (Statement st = db.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT example_id FROM read_parquet('"
                      + file.toString().replace("'", "''")
                      + "')")) {
        while (rs.next()) {
          seen.putIfAbsent(rs.getString(1), now);
          rows++;
        }
      }
      readFiles.add(file);
    }
    return rows;
  }

  @Override
  public synchronized void close() throws SQLException {
    db.close();
  }
}
