package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.dataset.version.CommittedFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The committed Parquet files of one dataset directory, read with DuckDB, for the pipeline ITs.
 * Only finished part files count: in-progress ones are hidden ({@code .part-...inprogress...}).
 *
 * <pre>{@code
 * long rows = CommittedParquet.count(datasets.resolve("sft"), "SELECT count(*) FROM read_parquet(%s)");
 * }</pre>
 */
final class CommittedParquet {

  private CommittedParquet() {}

  /** The finished {@code part-*.parquet} files under {@code dir}, sorted; none if it is absent. */
  static List<Path> files(Path dir) {
    try {
      return CommittedFiles.list(dir).stream()
          .filter(p -> p.getFileName().toString().endsWith(".parquet"))
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A DuckDB list literal of the files, e.g. {@code ['/a.parquet', '/b.parquet']}. */
  static String list(List<Path> files) {
    return files.stream().map(p -> "'" + p + "'").collect(Collectors.joining(", ", "[", "]"));
  }

  /** The committed rows under {@code dir}. */
  static long rows(Path dir) {
    return count(dir, "SELECT count(*) FROM read_parquet(%s)");
  }

  /**
   * The single number {@code sql} answers, with {@code %s} replaced by the committed files; 0 when
   * there are none yet.
   */
  static long count(Path dir, String sql) {
    List<Path> files = files(dir);
    if (files.isEmpty()) {
      return 0;
    }
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement();
        ResultSet rs = st.executeQuery(String.format(sql, list(files)))) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
