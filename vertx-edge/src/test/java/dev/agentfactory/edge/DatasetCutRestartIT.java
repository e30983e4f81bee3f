package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.edge.config.ConfigSource;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.testing.TestPorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cut's status survives a node restart, and a cut that a stop or a crash cut short is reported
 * failed ({@code interrupted}), never running forever. Real nodes (edge, Hazelcast member, process
 * sandboxes; the data plane off, which cuts do not need) restarted on one data directory, and
 * Parquet files written by DuckDB. A restart also removes the copies a killed cut left in {@code
 * _filtered/} (DatasetCatalogIT checks that published versions' copies stay).
 */
class DatasetCutRestartIT {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Enough small files that the cut is still running when the node stops. */
  private static final int BIG_FILES = 20_000;

  @TempDir Path dataDir;
  private AgentFactoryNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void aCutStoppedByARestartIsReportedInterruptedAndFinishedCutsAreStillKnown() throws Exception {
    Path datasets = Files.createDirectories(dataDir.resolve("datasets"));
    Path big = Files.createDirectories(datasets.resolve("big/2026-01-01--00"));
    Path small = Files.createDirectories(datasets.resolve("small/2026-01-01--00"));
    Path one = small.resolve("part-a-0.parquet");
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = duck.createStatement()) {
      st.execute(
          "COPY (SELECT 'e' || range AS example_id FROM range(3)) TO '"
              + one
              + "' (FORMAT parquet)");
    }
    for (int i = 0; i < BIG_FILES; i++) {
      Files.copy(one, big.resolve("part-b-" + i + ".parquet"));
    }

    node = start();
    HttpResponse<String> started = post("/v1/datasets/big/versions");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    String bigCut = started.headers().firstValue("location").orElseThrow();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> get(bigCut), c -> c.get("files_done").asInt() > 0);
    assertThat(get(bigCut).get("state").asText())
        .as("still running when the node stops")
        .isEqualTo("running");
    HttpResponse<String> smallStarted = post("/v1/datasets/small/versions");
    String smallCut = smallStarted.headers().firstValue("location").orElseThrow();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> get(smallCut), c -> c.get("state").asText().equals("succeeded"));
    node.close();
    node = null;

    // What a killed node leaves behind: a record still saying running.
    Path records = dataDir.resolve("edge/dataset-cuts");
    String killedId = UUID.randomUUID().toString();
    String killed =
        Files.readString(records.resolve(bigCut.substring(bigCut.lastIndexOf('/') + 1) + ".json"))
            .replaceAll("\"cut_id\":\"[^\"]+\"", "\"cut_id\":\"" + killedId + "\"")
            .replaceAll("\"state\":\"[a-z]+\"", "\"state\":\"running\"")
            .replaceAll("\"error\":\\{[^}]*\\}", "\"error\":null")
            .replaceAll("\"finished_at\":\"[^\"]+\"", "\"finished_at\":null");
    Files.writeString(records.resolve(killedId + ".json"), killed);
    // ... and the copies without withdrawn rows that its cut had written: unlisted orphans.
    Path filtered = datasets.resolve("small/_filtered");
    Path orphan = Files.createDirectories(filtered.resolve("v2-0badc0de/2026-01-01--00"));
    Files.copy(one, orphan.resolve("part-a-0.parquet"));
    Files.writeString(filtered.resolve(".v2-0badc0de.lock"), "");

    node = start();
    assertThat(filtered).as("the orphan copies are removed at start").isEmptyDirectory();
    assertThat(one).as("committed files stay").exists();
    assertThat(datasets.resolve("small/_versions/v1.json")).exists();
    JsonNode stopped = get(bigCut);
    assertThat(stopped.get("state").asText()).as(stopped.toString()).isEqualTo("failed");
    assertThat(stopped.at("/error/code").asText()).isEqualTo("interrupted");
    assertThat(stopped.at("/error/retriable").asBoolean()).isTrue();
    assertThat(stopped.get("finished_at").isNull()).isFalse();
    assertThat(stopped.get("files_done").asInt())
        .as("stopped part way")
        .isPositive()
        .isLessThan(BIG_FILES);
    JsonNode crashed = get("/v1/datasets/big/cuts/" + killedId);
    assertThat(crashed.get("state").asText()).as(crashed.toString()).isEqualTo("failed");
    assertThat(crashed.at("/error/code").asText()).isEqualTo("interrupted");
    assertThat(crashed.at("/error/message").asText()).contains("crash");
    JsonNode finished = get(smallCut);
    assertThat(finished.get("state").asText()).isEqualTo("succeeded");
    assertThat(finished.get("version").asInt()).isEqualTo(1);
    assertThat(finished.get("rows_done").asLong()).isEqualTo(3);
    assertThat(
            TestHttp.client()
                .send(
                    HttpRequest.newBuilder(URI.create(node.httpUrl() + bigCut)).build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(200);
  }

  private AgentFactoryNode start() throws IOException {
    Map<String, String> flags =
        Map.ofEntries(
            Map.entry("data.dir", dataDir.toString()),
            Map.entry("data.enabled", "false"),
            Map.entry("http.port", "0"),
            Map.entry("cluster.port", Integer.toString(TestPorts.free())),
            Map.entry("sandbox.isolation", "process"),
            Map.entry("sandbox.pool.size", "0"));
    return AgentFactoryNode.start(NodeConfig.from(new ConfigSource(flags, Map.of(), Map.of())));
  }

  private JsonNode get(String path) throws Exception {
    HttpResponse<String> response =
        TestHttp.client()
            .send(
                HttpRequest.newBuilder(URI.create(node.httpUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return MAPPER.readTree(response.body());
  }

  private HttpResponse<String> post(String path) throws Exception {
    return TestHttp.client()
        .send(
            HttpRequest.newBuilder(URI.create(node.httpUrl() + path))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
