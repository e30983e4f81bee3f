package dev.agentfactory.edge;

import dev.agentfactory.connectors.kafka.PortInUseException;
import dev.agentfactory.edge.config.ConfigException;
import dev.agentfactory.edge.config.ConfigSource;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.edge.config.NodeOptions;
import dev.agentfactory.edge.config.Option;
import dev.agentfactory.sandbox.local.DirLock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
    // The hook is in place before anything starts: a SIGTERM during start-up still closes what
    // has come up (sandboxes, Hazelcast membership, Kafka, Flink) instead of leaving it behind
    AgentFactoryNode node = AgentFactoryNode.create(config);
    AtomicReference<Phase> phase = new AtomicReference<>(Phase.STARTING);
    CountDownLatch startEnded = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread starter = Thread.currentThread();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> stop(node, phase, starter, startEnded, stopped), "node-shutdown"));
    try {
      node.startUp();
      if (!phase.compareAndSet(Phase.STARTING, Phase.UP)) {
        return; // a signal came as start-up ended: the shutdown hook is closing the node
      }
    } catch (RuntimeException e) {
      if (!phase.compareAndSet(Phase.STARTING, Phase.FAILED)) {
        return; // closed by a signal during start-up: the shutdown hook reports it
      }
      Optional<RuntimeException> inUse = inUse(e);
      if (inUse.isPresent()) {
        System.err.println("agent-factory: the node did not start: " + oneLine(inUse.get()));
      } else {
        System.err.println("agent-factory: the node did not start: " + e.getMessage());
        e.printStackTrace();
      }
      System.exit(1);
      return;
    } finally {
      startEnded.countDown();
    }
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

  /** Where start-up stands, for the shutdown hook and the main thread to agree who reports. */
  enum Phase {
    STARTING,
    UP,
    FAILED,
    STOPPING
  }

  private static final Duration STOP_WAIT = Duration.ofMinutes(2);

  private static void stop(
      AgentFactoryNode node,
      AtomicReference<Phase> phase,
      Thread starter,
      CountDownLatch startEnded,
      CountDownLatch stopped) {
    Phase was = phase.getAndSet(Phase.STOPPING);
    if (was == Phase.FAILED) {
      return; // start-up failed and stopped what it had started; main has said why
    }
    if (was == Phase.UP) {
      Duration drainTimeout = node.config().cluster().pool().drainTimeout();
      System.out.println(
          "agent-factory: draining (sessions finish, at most "
              + drainTimeout.toSeconds()
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
    } else {
      System.out.println("agent-factory: stopping during start-up ...");
      node.close();
      // Start-up may be waiting on something external (a Flink that does not answer): the
      // interrupt ends that wait; components still starting stop themselves as they come up
      starter.interrupt();
      try {
        if (!startEnded.await(STOP_WAIT.toSeconds(), TimeUnit.SECONDS)) {
          System.out.println("agent-factory: start-up still running after " + STOP_WAIT);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    System.out.println("agent-factory: stopped");
    stopped.countDown();
  }

  /** A refusal's line, with the option that moves the embedded Kafka to another port. */
  static String oneLine(RuntimeException refusal) {
    if (refusal instanceof PortInUseException) {
      Option<Integer> port = NodeOptions.KAFKA_PORT;
      return refusal.getMessage() + " (--" + port.key() + ", " + port.env() + ")";
    }
    return refusal.getMessage();
  }

  /**
   * The refusal among {@code e}'s causes of something another process holds (the data dir, the
   * embedded Kafka's port): one line says it all.
   */
  static Optional<RuntimeException> inUse(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof DirLock.InUseException || t instanceof PortInUseException) {
        return Optional.of((RuntimeException) t);
      }
    }
    return Optional.empty();
  }
}
