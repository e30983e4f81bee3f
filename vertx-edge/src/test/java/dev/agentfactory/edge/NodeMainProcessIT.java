package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.edge.config.ConfigSource;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.testing.TestPorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./agent-factory up} as real processes ({@link NodeMain} in a child JVM): what an operator
 * sees when a second node is started on a data dir in use, and what a SIGTERM during start-up
 * leaves behind.
 */
class NodeMainProcessIT {

  private static final Duration EXIT_WAIT = Duration.ofMinutes(2);

  @TempDir Path dataDir;

  @Test
  void aSecondNodeOnTheSameDataDirIsRefusedInOneLineAndTheFirstKeepsServing() throws Exception {
    Map<String, String> flags = new HashMap<>();
    flags.put("data.dir", dataDir.toString());
    flags.put("http.port", "0");
    flags.put("data.enabled", "false");
    flags.put("sandbox.isolation", "process");
    flags.put("sandbox.pool.size", "1");
    flags.put("cluster.port", Integer.toString(TestPorts.free()));
    try (AgentFactoryNode first =
        AgentFactoryNode.start(NodeConfig.from(new ConfigSource(flags, Map.of(), Map.of())))) {
      NodeProcess second =
          node(
              "--data.dir=" + dataDir,
              "--http.port=0",
              "--data.enabled=false",
              "--sandbox.isolation=process",
              "--cluster.port=" + TestPorts.free());
      Exit exit = await(second);

      assertThat(exit.status()).as(exit.stderr()).isEqualTo(1);
      assertThat(exit.stderr())
          .as("one line, no stack trace")
          .contains(
              "agent-factory: the node did not start: data dir "
                  + dataDir
                  + " is in use by another process (pid "
                  + ProcessHandle.current().pid()
                  + "): stop it or choose another directory")
          .doesNotContain("\tat ");
      assertThat(first.health().allUp()).as(first.health().snapshot().toString()).isTrue();
      HttpResponse<String> health =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(first.httpUrl() + "/health")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
    }
  }

  @Test
  void aNodeWhoseKafkaPortIsInUseIsRefusedInOneLineNamingThePortAndItsOption() throws Exception {
    Path jar = Files.writeString(dataDir.resolve("pipeline.jar"), "not submitted");
    try (ServerSocket otherBroker = new ServerSocket()) {
      otherBroker.bind(new InetSocketAddress("localhost", TestPorts.free()));
      int port = otherBroker.getLocalPort();
      NodeProcess node =
          node(
              "--data.dir=" + dataDir.resolve("node"),
              "--http.port=0",
              "--sandbox.isolation=process",
              "--sandbox.pool.size=0",
              "--cluster.port=" + TestPorts.free(),
              "--kafka.embedded.port=" + port,
              "--flink.rest.url=http://127.0.0.1:" + TestPorts.free(),
              "--flink.pipeline.jar=" + jar);
      Exit exit = await(node);

      assertThat(exit.status()).as(exit.stderr()).isEqualTo(1);
      assertThat(exit.stderr())
          .contains(
              "agent-factory: the node did not start: Kafka cannot listen on localhost:"
                  + port
                  + ": the port is in use by another process; stop it or choose another port"
                  + " (--kafka.embedded.port, AF_KAFKA_PORT)\n");
    }
  }

  @Test
  void sigtermDuringStartUpStopsWhatHadStarted() throws Exception {
    Path jar = Files.writeString(dataDir.resolve("pipeline.jar"), "not submitted");
    // A Kafka that accepts the connection and never answers: start-up waits on it (for the
    // topics it creates before the pipeline job is submitted), with the sandbox pool and
    // Hazelcast starting side by side
    try (ServerSocket silentKafka = new ServerSocket(0)) {
      silentKafka.setSoTimeout((int) EXIT_WAIT.toMillis());
      Path node = dataDir.resolve("node");
      NodeProcess process =
          node(
              "--data.dir=" + node,
              "--http.port=0",
              "--sandbox.isolation=process",
              "--sandbox.pool.size=1",
              "--cluster.port=" + TestPorts.free(),
              "--kafka.bootstrap.servers=127.0.0.1:" + silentKafka.getLocalPort(),
              "--flink.rest.url=http://127.0.0.1:" + TestPorts.free(),
              "--flink.pipeline.jar=" + jar);
      Path workspaces = node.resolve("sandboxes").resolve("workspaces");
      try (Socket kafkaClient = silentKafka.accept()) {
        assertThat(process.process().isAlive()).isTrue();
        long deadline = System.nanoTime() + EXIT_WAIT.toNanos();
        while (entries(workspaces).isEmpty() && System.nanoTime() < deadline) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        assertThat(entries(workspaces)).as("the warm sandbox's workspace").isNotEmpty();
        List<ProcessHandle> children = process.process().descendants().toList();

        process.process().destroy(); // SIGTERM
        Exit exit = await(process);

        assertThat(entries(workspaces)).as("workspaces left behind").isEmpty();
        assertThat(children).as("child processes left behind").noneMatch(ProcessHandle::isAlive);
        assertThat(exit.stdout())
            .as(exit.stderr())
            .contains("agent-factory: stopping during start-up")
            .contains("agent-factory: stopped");
      }
    }
  }

  private record Exit(int status, String stdout, String stderr) {}

  /** A node process whose output goes to files, so that no pipe can fill up and block it. */
  private record NodeProcess(Process process, Path stdout, Path stderr) {}

  private NodeProcess node(String... flags) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-cp");
    command.add(
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add(NodeMain.class.getName());
    command.addAll(List.of(flags));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().keySet().removeIf(k -> k.startsWith("AF_"));
    Path stdout = Files.createTempFile(dataDir, "node-", ".out");
    Path stderr = Files.createTempFile(dataDir, "node-", ".err");
    builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    return new NodeProcess(builder.start(), stdout, stderr);
  }

  private static Exit await(NodeProcess node) throws Exception {
    Process process = node.process();
    try {
      assertThat(process.waitFor(EXIT_WAIT.toSeconds(), TimeUnit.SECONDS))
          .as("the node process exits")
          .isTrue();
      return new Exit(
          process.exitValue(),
          Files.readString(node.stdout(), StandardCharsets.UTF_8),
          Files.readString(node.stderr(), StandardCharsets.UTF_8));
    } finally {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }

  private static List<Path> entries(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }
}
