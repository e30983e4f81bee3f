package dev.agentfactory.connectors.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetFormatsIT {

  @TempDir Path dir;

  @Test
  void sftFilesHaveStandardListsAndMillisTimestamps() throws Exception {
    Path file = dir.resolve("sft.parquet");
    Interaction event =
        Interaction.builder()
            .sessionId("s1")
            .tenant("acme")
            .agent("helper", "1")
            .createdAt(Instant.parse("2026-01-02T03:04:05.678Z"))
            .message(dev.agentfactory.connectors.event.Message.user("hi"))
            .build();
    Interaction tool =
        Interaction.sandboxCommand("acme", "s1", 1, "helper", "1", "ls", "a b", 0, Duration.ZERO);

    FileSystem fs = FileSystem.getLocalFileSystem();
    try (FSDataOutputStream out =
        fs.create(
            new org.apache.flink.core.fs.Path(file.toUri()), FileSystem.WriteMode.NO_OVERWRITE)) {
      BulkWriter<SftRow> writer = ParquetFormats.sft().create(out);
      writer.addElement(SftRow.from(event, "none"));
      writer.addElement(SftRow.from(tool, "none"));
      writer.finish();
    }

    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement()) {
      String src = "read_parquet('" + file + "')";
      try (ResultSet rs =
          st.executeQuery(
              "SELECT typeof(messages), typeof(created_at), created_at::VARCHAR, messages[1].content,"
                  + " len(messages) FROM "
                  + src
                  + " ORDER BY len(messages)")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1))
            .startsWith("STRUCT(")
            .contains("role", "content", "tool_call_id")
            .endsWith(")[]");
        assertThat(rs.getString(2)).startsWith("TIMESTAMP");
        assertThat(rs.getString(3)).startsWith("2026-01-02 03:04:05.678");
        assertThat(rs.getString(4)).isEqualTo("hi");
      }
      // The physical layout: a 3-level list (messages.list.element), not the legacy 2-level one.
      try (ResultSet rs =
          st.executeQuery("SELECT path_in_schema FROM parquet_metadata('" + file + "')")) {
        boolean seen = false;
        while (rs.next()) {
          String path = rs.getString(1);
          if (path.startsWith("messages")) {
            assertThat(path).startsWith("messages, list, element");
            seen = true;
          }
        }
        assertThat(seen).isTrue();
      }
    }
  }
}
