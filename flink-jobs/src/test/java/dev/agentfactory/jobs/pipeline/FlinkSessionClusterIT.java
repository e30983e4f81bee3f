package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.testing.TestPorts;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test session cluster itself: its JobManager starts though a drawn port is taken. */
class FlinkSessionClusterIT {

  @TempDir Path dir;

  @Test
  void aRestPortTakenBeforeTheJobManagerBindsItIsDrawnAgain() throws Exception {
    try (ServerSocket taker = new ServerSocket()) {
      taker.bind(new InetSocketAddress("localhost", TestPorts.free()));
      List<Integer> drawn = new ArrayList<>();

      try (FlinkSessionCluster flink =
          FlinkSessionCluster.start(
              dir,
              List.of(),
              true,
              () -> {
                drawn.add(drawn.isEmpty() ? taker.getLocalPort() : TestPorts.free());
                return drawn.get(drawn.size() - 1);
              })) {

        assertThat(drawn).hasSize(2);
        assertThat(flink.restUrl().getPort()).isEqualTo(drawn.get(1));
        assertThat(
                new FlinkRestClient(flink.restUrl())
                    .listJobs()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS))
            .as(flink.keepLogs("rest-port-taken"))
            .isEmpty();
      }
    }
  }
}
