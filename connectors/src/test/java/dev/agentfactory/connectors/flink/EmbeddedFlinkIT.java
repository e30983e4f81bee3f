package dev.agentfactory.connectors.flink;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedFlinkIT {

  @TempDir Path dataDir;

  @Test
  void servesTheRestApiWebSubmissionAndTheWebUi() throws Exception {
    try (EmbeddedFlink flink =
        EmbeddedFlink.start(dataDir, 0, Map.of("restart-strategy.type", "none"))) {
      assertThat(flink.restUrl().getPort()).isPositive().isNotEqualTo(8081);
      HttpClient http = HttpClient.newHttpClient();

      HttpResponse<String> jars =
          http.send(
              HttpRequest.newBuilder(flink.restUrl().resolve("/jars")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(jars.statusCode()).isEqualTo(200);
      assertThat(jars.body()).contains("\"files\"");

      HttpResponse<String> ui =
          http.send(
              HttpRequest.newBuilder(flink.restUrl().resolve("/")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(ui.statusCode()).isEqualTo(200);
      assertThat(ui.body()).containsIgnoringCase("<html");

      assertThat(new FlinkRestClient(flink.restUrl()).listJobs().toCompletableFuture().join())
          .isEmpty();
    }
  }
}
