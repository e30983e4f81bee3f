package dev.agentfactory.connectors.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node KRaft Kafka broker (combined broker + controller) running in this JVM, for the
 * embedded single-machine default and for tests.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), 9092)) {
 *   kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ);
 *   String bootstrap = kafka.bootstrapServers(); // "localhost:9092"
 * }
 * }</pre>
 *
 * <p>The log directory is formatted on first start only, so the broker restarts on the same data
 * directory with its topics and committed offsets. Port 0 picks free ports (the client port and the
 * controller port) on every start; a start that finds a picked port taken by the time it binds it
 * picks again. A given client port that is in use fails the start ({@link PortInUseException}).
 * Needs {@code kafka_2.13}, {@code kafka-server} and friends on the classpath (optional
 * dependencies of this module).
 */
public final class EmbeddedKafka implements AutoCloseable {

  /** The node's Kafka client port. */
  public static final int DEFAULT_PORT = 9092;

  /** Starts tried on newly drawn ports before giving up. */
  static final int BIND_ATTEMPTS = 5;

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private static final String HOST = "localhost";

  private final KafkaRaftServer server;
  private final int port;
  private final Path dataDir;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EmbeddedKafka(KafkaRaftServer server, int port, Path dataDir) {
    this.server = server;
    this.port = port;
    this.dataDir = dataDir;
  }

  /** Starts a broker whose logs live under {@code dataDir}, clients on {@code port} (0 = free). */
  public static EmbeddedKafka start(Path dataDir, int port) {
    return start(dataDir, port, Map.of());
  }

  /**
   * Starts a broker; {@code overrides} are broker properties applied last (e.g. {@code
   * num.partitions}).
   *
   * @throws PortInUseException when {@code port} is not 0 and another process listens on it
   */
  public static EmbeddedKafka start(Path dataDir, int port, Map<String, String> overrides) {
    return start(dataDir, port, overrides, EmbeddedKafka::ports);
  }

  /**
   * Starts a broker on the ports {@code picker} gives. A free port is only free until someone binds
   * it, and the controller port (and the client port when {@code port} is 0) is drawn from the
   * ephemeral range, where this machine's outgoing connections take ports too: a start that cannot
   * bind a drawn port is stopped and tried again on newly drawn ones. A given {@code port} that is
   * taken stays taken, and fails at once.
   */
  static EmbeddedKafka start(
      Path dataDir, int port, Map<String, String> overrides, PortPicker picker) {
    for (int attempt = 1; ; attempt++) {
      int[] ports;
      try {
        ports = picker.pick(port);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot pick ports for Kafka", e);
      }
      try {
        return startOn(dataDir, ports[0], ports[1], overrides);
      } catch (RuntimeException e) {
        if (!isBindFailure(e)) {
          throw e;
        }
        if (port != 0 && !canBind(port)) {
          throw new PortInUseException(HOST, port, e);
        }
        if (attempt == BIND_ATTEMPTS) {
          throw new IllegalStateException(
              "Kafka could not bind the ports it drew on " + attempt + " attempts", e);
        }
        LOG.warn(
            "Kafka could not bind port {} or {}, free when drawn; drawing others: {}",
            ports[0],
            ports[1],
            e.toString());
      }
    }
  }

  private static EmbeddedKafka startOn(
      Path dataDir, int clientPort, int controllerPort, Map<String, String> overrides) {
    try {
      Path logDir = dataDir.resolve("logs");
      Files.createDirectories(logDir);
      Properties props = brokerProperties(logDir, clientPort, controllerPort);
      props.putAll(overrides);
      Path configFile = dataDir.resolve("server.properties");
      try (OutputStream out = Files.newOutputStream(configFile)) {
        props.store(out, "written by EmbeddedKafka on every start");
      }
      if (!Files.exists(logDir.resolve("meta.properties"))) {
        format(configFile);
      }
      KafkaRaftServer server =
          new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
      try {
        startUp(server);
      } catch (RuntimeException e) {
        server.shutdown();
        server.awaitShutdown();
        throw e;
      }
      return new EmbeddedKafka(server, clientPort, dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start Kafka in " + dataDir, e);
    }
  }

  /**
   * Runs the broker's start-up with Kafka's JVM halt and exit turned into a failed start. Kafka's
   * controller halts the JVM when it cannot start (a fatal fault: its listener could not bind,
   * say), which would end the whole node without a word and leave nothing to retry. During start-up
   * a halt only notes the request: the controller then shuts down and throws its cause, as the
   * broker does. Kafka's procedures are global to the JVM, hence one start at a time.
   */
  private static void startUp(KafkaRaftServer server) {
    AtomicBoolean stopRequested = new AtomicBoolean();
    Exit.Procedure refuse = (status, message) -> stopRequested.set(true);
    synchronized (EmbeddedKafka.class) {
      Exit.setHaltProcedure(refuse);
      Exit.setExitProcedure(refuse);
      try {
        server.startup();
      } finally {
        Exit.resetHaltProcedure();
        Exit.resetExitProcedure();
      }
    }
    if (stopRequested.get()) {
      throw new IllegalStateException(
          "Kafka met a fatal fault while starting (its log above says which)");
    }
  }

  /** Whether {@code failure} says a listener could not bind its port. */
  private static boolean isBindFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return true;
      }
    }
    return false;
  }

  /** Whether a listener could bind {@code port} on {@link #HOST} now, as the broker's does. */
  private static boolean canBind(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(HOST, port));
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  private static Properties brokerProperties(Path logDir, int clientPort, int controllerPort) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    // A static single voter: its port may change between restarts without a reconfiguration.
    p.put("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
    p.put(
        "listeners",
        "PLAINTEXT://" + HOST + ":" + clientPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + clientPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", logDir.toAbsolutePath().toString());
    p.put("num.partitions", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    return p;
  }

  private static void format(Path configFile) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    String[] args = {
      "format",
      "-t",
      Uuid.randomUuid().toString(),
      "-c",
      configFile.toString(),
      "--ignore-formatted"
    };
    int rc;
    try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
      rc = StorageTool.execute(args, out);
    }
    if (rc != 0) {
      throw new IllegalStateException(
          "kafka storage format failed (" + rc + "): " + captured.toString(StandardCharsets.UTF_8));
    }
  }

  /**
   * The client port ({@code port}, or a free one if 0) and a free controller port that differs from
   * it. Both candidates are held open together, so the kernel cannot hand out the same port twice
   * (two ports picked one after the other once came back equal in CI: "Each listener must have a
   * different port").
   */
  static int[] ports(int port) throws IOException {
    try (ServerSocket first = new ServerSocket(0);
        ServerSocket second = new ServerSocket(0)) {
      int client = port == 0 ? first.getLocalPort() : port;
      int controller =
          second.getLocalPort() != client ? second.getLocalPort() : first.getLocalPort();
      return new int[] {client, controller};
    }
  }

  /** Gives the client and controller ports of one start, for {@code port} as asked. */
  @FunctionalInterface
  interface PortPicker {
    int[] pick(int port) throws IOException;
  }

  /** {@code localhost:<port>}, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return HOST + ":" + port;
  }

  /** The client port. */
  public int port() {
    return port;
  }

  /** The data directory this broker was started on. */
  public Path dataDir() {
    return dataDir;
  }

  /** Creates single-partition topics; topics that exist already are left as they are. */
  public void createTopics(String... names) {
    List<NewTopic> topics = new ArrayList<>();
    for (String name : names) {
      topics.add(new NewTopic(name, 1, (short) 1));
    }
    createTopics(topics);
  }

  /** Creates topics; topics that exist already are left as they are. Blocks up to 30 s. */
  public void createTopics(Collection<NewTopic> topics) {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      var futures = admin.createTopics(topics).values();
      for (var entry : futures.entrySet()) {
        try {
          entry.getValue().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + entry.getKey(), e.getCause());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out creating topics", e);
    }
  }

  /** The names of the existing topics (internal ones excluded). Blocks up to 30 s. */
  public Set<String> listTopics() {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      return admin.listTopics().names().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while listing topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot list topics", e);
    }
  }

  /** Stops the broker and waits until it has shut down (logs flushed, ports released). */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    server.shutdown();
    server.awaitShutdown();
  }
}
