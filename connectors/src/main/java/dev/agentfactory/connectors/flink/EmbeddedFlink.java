package dev.agentfactory.connectors.flink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

/**
 * A Flink {@link MiniCluster} in this JVM with its REST API and web UI, for the embedded
 * single-machine default and for tests. Jobs are submitted to it exactly as to a real cluster:
 * through REST ({@code /jars/upload}, {@code /jars/{id}/run}, see {@link FlinkRestClient}).
 *
 * <pre>{@code
 * try (EmbeddedFlink flink = EmbeddedFlink.start(dataDir.resolve("flink"), 8081, Map.of())) {
 *   FlinkRestClient rest = new FlinkRestClient(flink.restUrl());
 * }
 * }</pre>
 *
 * <p>Checkpoints go to {@code <dataDir>/checkpoints}, savepoints to {@code <dataDir>/savepoints},
 * uploaded jars to {@code <dataDir>/jars} (those an earlier cluster left there are deleted at
 * start; delete a jar once its job runs, {@link FlinkRestClient#deleteJar}). The JVM must run with
 * the {@code --add-opens} flags of {@link #JVM_OPTIONS} (Flink's own distribution passes them to
 * every Flink process).
 */
public final class EmbeddedFlink implements AutoCloseable {

  /**
   * The module flags Flink's distribution sets in {@code env.java.default-opts.all}; without them
   * Java 17 refuses Flink's reflection on JDK classes (seen as a 400 from {@code /jars/:id/run}).
   */
  public static final String JVM_OPTIONS =
      "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED"
          + " --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED"
          + " --add-opens=java.base/java.lang=ALL-UNNAMED"
          + " --add-opens=java.base/java.net=ALL-UNNAMED"
          + " --add-opens=java.base/java.io=ALL-UNNAMED"
          + " --add-opens=java.base/java.nio=ALL-UNNAMED"
          + " --add-opens=java.base/sun.nio.ch=ALL-UNNAMED"
          + " --add-opens=java.base/java.lang.reflect=ALL-UNNAMED"
          + " --add-opens=java.base/java.text=ALL-UNNAMED"
          + " --add-opens=java.base/java.time=ALL-UNNAMED"
          + " --add-opens=java.base/java.util=ALL-UNNAMED"
          + " --add-opens=java.base/java.util.concurrent=ALL-UNNAMED"
          + " --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED"
          + " --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED";

  /** The port of the node's Flink REST API and web UI, as on a real cluster. */
  public static final int DEFAULT_REST_PORT = 8081;

  /**
   * Pekko (Flink's RPC) adds a JVM shutdown hook to each actor system as it terminates, to run the
   * shutdown it is already running. When the MiniCluster is closed from a JVM shutdown hook (the
   * node's, on SIGTERM) the JVM refuses new hooks, and Pekko warns "Could not addJvmShutdownHook"
   * for each of Flink's two actor systems at every stop. Without the hook nothing is lost: Flink
   * never relies on it, and {@link #close} terminates the actor systems itself. A value set on the
   * command line ({@code -Dpekko.jvm-shutdown-hooks=on}) is kept.
   */
  static final String PEKKO_JVM_SHUTDOWN_HOOKS = "pekko.jvm-shutdown-hooks";

  private final MiniCluster cluster;
  private final URI restUrl;
  private final Path checkpointsDir;
  private final Path savepointsDir;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EmbeddedFlink(MiniCluster cluster, URI restUrl, Path checkpointsDir, Path savepointsDir) {
    this.cluster = cluster;
    this.restUrl = restUrl;
    this.checkpointsDir = checkpointsDir;
    this.savepointsDir = savepointsDir;
  }

  /**
   * Starts a MiniCluster with one TaskManager of 4 slots.
   *
   * @param dataDir where checkpoints, savepoints, uploaded jars and temp files go
   * @param restPort the REST/web UI port, 0 for a free one
   * @param overrides Flink options applied last, e.g. {@code restart-strategy.type: none} in tests
   *     or {@code rest.bind-address: 0.0.0.0} to serve the web UI beyond localhost
   */
  public static EmbeddedFlink start(Path dataDir, int restPort, Map<String, String> overrides) {
    requireWebSubmission();
    // read by Pekko's configuration (system properties override its reference.conf) when the
    // MiniCluster creates its actor systems
    if (System.getProperty(PEKKO_JVM_SHUTDOWN_HOOKS) == null) {
      System.setProperty(PEKKO_JVM_SHUTDOWN_HOOKS, "off");
    }
    deleteUploadedJars(dataDir.toAbsolutePath().resolve("jars"));
    Configuration config = configuration(dataDir, restPort);
    overrides.forEach(config::setString);
    MiniCluster cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .setConfiguration(config)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(4)
                .build());
    try {
      cluster.start();
      URI rest = cluster.getRestAddress().get(30, TimeUnit.SECONDS);
      awaitJobList(rest, Instant.now().plusSeconds(30));
      return new EmbeddedFlink(cluster, rest, checkpointsDir(dataDir), savepointsDir(dataDir));
    } catch (Exception e) {
      cluster.closeAsync();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("cannot start the Flink MiniCluster", e);
    }
  }

  /**
   * Returns once the REST API answers {@code GET /jobs/overview}: it listens before it has found
   * the dispatcher, and answers 503 ("ongoing leader election") until then, which a node's first
   * call (it asks for a running pipeline job before submitting one) must not see.
   */
  private static void awaitJobList(URI rest, Instant deadline) throws InterruptedException {
    FlinkRestClient client = new FlinkRestClient(rest);
    while (true) {
      try {
        client.listJobs().toCompletableFuture().get();
        return;
      } catch (ExecutionException e) {
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException(
              "the MiniCluster's REST API did not list jobs in time: " + e.getCause(), e);
        }
      }
      Thread.sleep(100); // start-up only, on the caller's thread
    }
  }

  /**
   * Without flink-runtime-web the cluster starts but answers {@code POST /jars/upload} with "POST
   * request not allowed"; fail at start instead.
   */
  private static void requireWebSubmission() {
    try {
      Class.forName(
          "org.apache.flink.runtime.webmonitor.WebSubmissionExtension",
          false,
          EmbeddedFlink.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(
          "org.apache.flink:flink-runtime-web is not on the classpath: the embedded Flink could not"
              + " accept job jars through REST (it is an optional dependency of connectors)",
          e);
    }
  }

  /**
   * Deletes the job jars uploaded to an earlier cluster on this data directory (Flink keeps them
   * under {@code <jars>/flink-web-upload/} and deletes none): a new cluster runs no job from them
   * (a job's classes are in the blob store once it is submitted), and each is a whole shaded job
   * jar, so a node that crashed, or failed to delete one, would otherwise fill the data disk over
   * its restarts.
   */
  static void deleteUploadedJars(Path jarsDir) {
    if (!Files.isDirectory(jarsDir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(jarsDir)) {
      for (Path jar :
          files
              .filter(Files::isRegularFile)
              .filter(f -> f.getFileName().toString().endsWith(".jar"))
              .toList()) {
        Files.deleteIfExists(jar);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the job jars left in " + jarsDir, e);
    }
  }

  static Configuration configuration(Path dataDir, int restPort) {
    Path abs = dataDir.toAbsolutePath();
    try {
      Files.createDirectories(abs.resolve("jars"));
      Files.createDirectories(abs.resolve("tmp"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Configuration config = new Configuration();
    config.set(RestOptions.ADDRESS, "localhost");
    config.set(RestOptions.BIND_ADDRESS, "localhost");
    config.set(RestOptions.BIND_PORT, Integer.toString(restPort));
    // flink-runtime-web on the classpath adds the /jars endpoints when submission is enabled.
    config.set(WebOptions.SUBMIT_ENABLE, true);
    config.set(WebOptions.UPLOAD_DIR, abs.resolve("jars").toString());
    config.set(CoreOptions.TMP_DIRS, abs.resolve("tmp").toString());
    config.set(
        CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointsDir(dataDir).toUri().toString());
    config.set(CheckpointingOptions.SAVEPOINT_DIRECTORY, savepointsDir(dataDir).toUri().toString());
    // Jobs keep their last completed checkpoint when they are cancelled, fail or the cluster goes
    // away, so a crashed node can resume from it (the edge's PipelineJob looks here at start).
    config.set(
        CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    config.set(CoreOptions.DEFAULT_PARALLELISM, 1);
    // Parent-first: the node's classpath already holds everything the job jar holds (Flink
    // connectors, Kafka clients, Parquet, Avro, Jackson, our connectors module). Child-first would
    // load a second copy of those classes from the uploaded jar, and objects crossing between the
    // two copies (e.g. Kafka or Parquet types the cluster also touches) fail with
    // ClassCastException
    // or LinkageError, besides doubling metaspace per submission.
    config.set(CoreOptions.CLASSLOADER_RESOLVE_ORDER, "parent-first");
    return config;
  }

  /**
   * Where jobs' checkpoints go, one directory per job id; the last completed one of each job is
   * retained ({@code <job id>/chk-<n>/_metadata}).
   */
  public Path checkpointsDir() {
    return checkpointsDir;
  }

  private static Path checkpointsDir(Path dataDir) {
    return dataDir.toAbsolutePath().resolve("checkpoints");
  }

  /**
   * Where savepoints go unless a stop names another directory, one {@code savepoint-<job id
   * prefix>-<random>} directory each.
   */
  public Path savepointsDir() {
    return savepointsDir;
  }

  private static Path savepointsDir(Path dataDir) {
    return dataDir.toAbsolutePath().resolve("savepoints");
  }

  /** The REST base URL, e.g. {@code http://localhost:8081}; the web UI is served there too. */
  public URI restUrl() {
    return restUrl;
  }

  /** Stops all jobs and the cluster, waiting up to 60 s. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      cluster.closeAsync().get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping the MiniCluster", e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the MiniCluster cleanly", e);
    }
  }
}
