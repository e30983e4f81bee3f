package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agentfactory.edge.config.ConfigSource;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.edge.health.NodeHealth;
import dev.agentfactory.testing.TestPorts;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two in-process nodes, the first on a cluster port taken between its draw and its bind. */
class TestNodesIT {

  @TempDir Path dir;

  private AgentFactoryNode first;
  private AgentFactoryNode second;

  @AfterEach
  void stop() {
    for (AgentFactoryNode node : new AgentFactoryNode[] {second, first}) {
      if (node != null) {
        node.close();
      }
    }
  }

  @Test
  void aNodeWhoseDrawnClusterPortWasTakenIsJoinedWhereItListens() throws Exception {
    try (ServerSocket taker = new ServerSocket()) {
      taker.bind(new InetSocketAddress("127.0.0.1", TestPorts.free()));
      first = node("first", taker.getLocalPort(), null);

      second = node("second", TestPorts.free(), TestNodes.clusterAddress(first));

      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> members(second) == 2 && members(first) == 2);
      assertThat(TestNodes.clusterAddress(first)).doesNotEndWith(":" + taker.getLocalPort());
    }
  }

  private AgentFactoryNode node(String name, int clusterPort, String members) {
    Map<String, String> flags = new HashMap<>();
    flags.put("data.dir", dir.resolve(name).toString());
    flags.put("data.enabled", "false");
    flags.put("http.port", "0");
    flags.put("cluster.port", Integer.toString(clusterPort));
    flags.put("sandbox.isolation", "process");
    flags.put("sandbox.pool.size", "0");
    if (members != null) {
      flags.put("cluster.members", members);
    }
    return AgentFactoryNode.start(NodeConfig.from(new ConfigSource(flags, Map.of(), Map.of())));
  }

  private static int members(AgentFactoryNode node) {
    Object count = node.health().snapshot().get(NodeHealth.HAZELCAST).detail().get("members");
    return ((Number) count).intValue();
  }
}
