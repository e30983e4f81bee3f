package dev.agentfactory.edge;

import dev.agentfactory.edge.config.ConfigException;
import dev.agentfactory.edge.config.ConfigSource;
import dev.agentfactory.edge.config.NodeConfig;
import java.util.concurrent.CountDownLatch;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * {@code ./agent-factory up}: starts one node, prints where everything is, and on Ctrl-C (SIGINT)
 * or SIGTERM drains it out of the cluster (no new leases, open sessions finish within {@code
 * AF_CLUSTER_DRAIN_TIMEOUT}) and stops it cleanly.
 */
public final class NodeMain {

  private NodeMain() {}

  /** The property log4j2.xml selects its layout by (text or json); also settable as -D. */
  static final String LOG_FORMAT_PROPERTY = "af.log.format";

  /**
   * Switches the log layout when {@code log.format} came from a flag or the environment: log4j read
   * its configuration before the node's options were known.
   */
  static void applyLogFormat(String format) {
    if (!format.equals(System.getProperty(LOG_FORMAT_PROPERTY, "text"))) {
      System.setProperty(LOG_FORMAT_PROPERTY, format);
      Configurator.reconfigure();
    }
  }

  public static void main(String[] args) throws InterruptedException {
    NodeConfig config;
    try {
      config = NodeConfig.from(ConfigSource.fromProcess(args));
    } catch (ConfigException e) {
      System.err.println("agent-factory: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    applyLogFormat(config.logFormat());
    long started = System.nanoTime();
    AgentFactoryNode node;
    try {
      node = AgentFactoryNode.start(config);
    } catch (RuntimeException e) {
      System.err.println("agent-factory: the node did not start: " + e.getMessage());
      e.printStackTrace();
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println(
                      "agent-factory: draining (sessions finish, at most "
                          + config.cluster().pool().drainTimeout().toSeconds()
                          + " s) ...");
                  var drained = node.drain();
                  System.out.println(
                      "agent-factory: "
                          + (drained.drained()
                              ? "drained"
                              : drained.activeLeases()
                                  + " sessions and "
                                  + drained.lentSandboxes()
                                  + " lent sandboxes still open; closing them")
                          + "; stopping ...");
                  node.close();
                  System.out.println("agent-factory: stopped");
                  stopped.countDown();
                },
                "node-shutdown"));
    long ms = (System.nanoTime() - started) / 1_000_000;
    System.out.printf(
        """
        agent-factory: node up in %d ms
          health        %s/health
          sessions      ws://%s:%d/v1/sessions   (protocol: docs/protocol.md)
          flink web UI  %s
          kafka         %s
          datasets      %s
          data dir      %s
        Ctrl-C stops the node.
        """,
        ms,
        node.httpUrl(),
        config.httpHost(),
        node.httpPort(),
        config.dataEnabled() ? node.flinkRestUrl() : "off (data.enabled=false)",
        config.dataEnabled() ? node.kafkaBootstrapServers() : "off (data.enabled=false)",
        config.datasetsDir(),
        config.dataDir());
    stopped.await();
  }
}
