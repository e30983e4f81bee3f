package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.flink.EmbeddedFlink;
import dev.agentfactory.testing.TestPorts;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntSupplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A real Flink session cluster for tests: a JobManager and TaskManagers, each in its own JVM,
 * started from the Maven jars on the test classpath the way Flink's distribution scripts start them
 * (flink-dist itself is not served from Maven Central; see STACK.md).
 *
 * <p>The cluster's classpath is Flink and its dependencies only: our code, Kafka, Parquet, Avro and
 * Hadoop are filtered out, so a job must bring them in its own jar, exactly as on a production
 * cluster. What the scripts normally do is done here: the TaskManager's memory flags come from
 * {@code BashJavaUtils GET_TM_RESOURCE_PARAMS}, every JVM gets the module flags of {@code
 * env.java.default-opts.all}, and each process logs to its own file in append mode.
 *
 * <pre>{@code
 * try (FlinkSessionCluster flink = FlinkSessionCluster.start(dir, Map.of())) {
 *   FlinkRestClient rest = new FlinkRestClient(flink.restUrl());
 *   flink.killTaskManager(0);   // SIGKILL
 *   flink.startTaskManager();
 * }
 * }</pre>
 */
final class FlinkSessionCluster implements AutoCloseable {

  /** Classpath entries a Flink distribution does not ship; jobs bring them in their jar. */
  private static final Pattern NOT_IN_FLINK_DIST =
      Pattern.compile(
          "agentfactory|/target/|/org/apache/kafka/|flink-connector-kafka|/org/apache/parquet/"
              + "|/org/apache/avro/|/org/apache/hadoop/|duckdb|archunit|junit|assertj"
              + "|flink-test-utils|/org/duckdb/|flink-parquet|flink-avro");

  private static final String RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";

  private final Path dir;
  private final Path confDir;
  private final String classpath;
  private final URI restUrl;
  private final Process jobManager;
  private final List<Process> taskManagers = new ArrayList<>();

  private FlinkSessionCluster(
      Path dir, Path confDir, String classpath, URI restUrl, Process jobManager) {
    this.dir = dir;
    this.confDir = confDir;
    this.classpath = classpath;
    this.restUrl = restUrl;
    this.jobManager = jobManager;
  }

  /**
   * Writes {@code <dir>/conf/config.yaml}, starts a JobManager and one TaskManager with two slots,
   * and returns once the JobManager's REST API answers and the TaskManager process is started (poll
   * the REST API for its registration).
   *
   * @param extraConfig more {@code config.yaml} lines, e.g. a restart strategy
   */
  static FlinkSessionCluster start(Path dir, List<String> extraConfig) throws IOException {
    return start(dir, extraConfig, true);
  }

  /**
   * Like {@link #start(Path, List)}; with {@code defaultSavepointDir} false the cluster has no
   * {@code execution.checkpointing.savepoint-dir}, as a session cluster set up without one: a
   * savepoint then needs a target directory in its request.
   */
  static FlinkSessionCluster start(Path dir, List<String> extraConfig, boolean defaultSavepointDir)
      throws IOException {
    return start(dir, extraConfig, defaultSavepointDir, TestPorts::free);
  }

  /**
   * Like {@link #start(Path, List, boolean)}, with REST ports from {@code restPorts}. Returns once
   * the JobManager's REST API answers: a JobManager that could not bind a drawn port (taken since
   * its draw) has exited by then, and another starts on newly drawn ports.
   */
  static FlinkSessionCluster start(
      Path dir, List<String> extraConfig, boolean defaultSavepointDir, IntSupplier restPorts)
      throws IOException {
    Path conf = Files.createDirectories(dir.resolve("conf"));
    Files.createDirectories(dir.resolve("log"));
    writeLog4j(conf);
    String classpath = flinkClasspath();
    TestPorts.OnPort<Process> jm =
        TestPorts.startOn(
            restPorts,
            restPort -> {
              writeConfig(dir, extraConfig, defaultSavepointDir, TestPorts.free(), restPort);
              return startJobManager(dir, classpath, restPort);
            });
    FlinkSessionCluster cluster =
        new FlinkSessionCluster(
            dir, conf, classpath, URI.create("http://localhost:" + jm.port()), jm.server());
    try {
      cluster.startTaskManager();
    } catch (IOException | RuntimeException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  private static void writeConfig(
      Path dir, List<String> extraConfig, boolean defaultSavepointDir, int rpcPort, int restPort)
      throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("jobmanager.rpc.address: localhost");
    lines.add("jobmanager.rpc.port: " + rpcPort);
    lines.add("jobmanager.bind-host: localhost");
    lines.add("taskmanager.bind-host: localhost");
    lines.add("taskmanager.host: localhost");
    lines.add("rest.address: localhost");
    lines.add("rest.bind-address: localhost");
    lines.add("rest.port: " + restPort);
    lines.add("jobmanager.memory.process.size: 640m");
    lines.add("taskmanager.memory.process.size: 1024m");
    lines.add("taskmanager.numberOfTaskSlots: 2");
    lines.add("parallelism.default: 1");
    lines.add("web.submit.enable: true");
    lines.add("web.upload.dir: " + Files.createDirectories(dir.resolve("jars")));
    lines.add("io.tmp.dirs: " + Files.createDirectories(dir.resolve("tmp")));
    lines.add("execution.checkpointing.dir: " + dir.resolve("checkpoints").toUri());
    if (defaultSavepointDir) {
      lines.add("execution.checkpointing.savepoint-dir: " + dir.resolve("savepoints").toUri());
    }
    // A killed TaskManager is noticed by its dropped connection at once; the heartbeat bounds it.
    lines.add("heartbeat.interval: 2000");
    lines.add("heartbeat.timeout: 10000");
    lines.add("env.java.default-opts.all: " + EmbeddedFlink.JVM_OPTIONS);
    lines.addAll(extraConfig);
    Files.write(dir.resolve("conf").resolve("config.yaml"), lines, StandardCharsets.UTF_8);
  }

  /**
   * Launches the JobManager and returns once its REST API answers on {@code restPort}. When it
   * exits first, throws: a {@link BindException} if its log says a port was in use, else why.
   */
  private static Process startJobManager(Path dir, String classpath, int restPort)
      throws IOException {
    Path conf = dir.resolve("conf");
    Path log = dir.resolve("log").resolve("jobmanager.log");
    Path out = log.resolveSibling("jobmanager.log.out");
    // both logs append: only what this JobManager writes speaks of it
    long logFrom = Files.exists(log) ? Files.size(log) : 0;
    long outFrom = Files.exists(out) ? Files.size(out) : 0;
    Process jm =
        launch(
            dir,
            classpath,
            conf,
            List.of("-Xmx384m", "-Xms384m"),
            "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
            List.of("--configDir", conf.toString()),
            log);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest overview =
        HttpRequest.newBuilder(URI.create("http://localhost:" + restPort + "/overview"))
            .timeout(Duration.ofSeconds(5))
            .build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (jm.isAlive()) {
      if (answers(http, overview)) {
        return jm;
      }
      if (System.nanoTime() > deadline) {
        jm.destroyForcibly();
        throw new IllegalStateException("the JobManager's REST API did not answer in 120 s");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
    }
    String written = since(log, logFrom) + since(out, outFrom);
    Optional<String> inUse =
        written
            .lines()
            .filter(l -> l.contains("BindException") || l.contains("Address already in use"))
            .findFirst();
    if (inUse.isPresent()) {
      throw new BindException("the JobManager could not bind a port: " + inUse.get().trim());
    }
    throw new IllegalStateException(
        "the JobManager exited (" + jm.exitValue() + ") before its REST API answered:\n" + written);
  }

  private static boolean answers(HttpClient http, HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException notYet) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the JobManager", e);
    }
  }

  /** What {@code file} holds beyond its first {@code from} bytes. */
  private static String since(Path file, long from) throws IOException {
    if (!Files.exists(file)) {
      return "";
    }
    try (InputStream in = Files.newInputStream(file)) {
      in.skipNBytes(from);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  URI restUrl() {
    return restUrl;
  }

  /** Starts one more TaskManager JVM with the memory flags the distribution scripts compute. */
  void startTaskManager() throws IOException {
    List<String> resources = taskManagerResourceParams();
    List<String> jvmArgs = Arrays.asList(resources.get(0).trim().split("\\s+"));
    List<String> args = new ArrayList<>(List.of("--configDir", confDir.toString()));
    args.addAll(Arrays.asList(resources.get(1).trim().split("\\s+")));
    int index = taskManagers.size();
    Process tm =
        launch(
            dir,
            classpath,
            confDir,
            jvmArgs,
            "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
            args,
            dir.resolve("log").resolve("taskmanager-" + index + ".log"));
    taskManagers.add(tm);
  }

  /** Kills TaskManager {@code index} with SIGKILL, as a crashed machine would, and waits for it. */
  void killTaskManager(int index) throws InterruptedException {
    Process tm = taskManagers.get(index);
    tm.destroyForcibly(); // SIGKILL on Linux
    if (!tm.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("TaskManager " + index + " survived SIGKILL");
    }
  }

  /** The processes of this cluster that are still running. */
  long aliveProcesses() {
    return taskManagers.stream().filter(Process::isAlive).count() + (jobManager.isAlive() ? 1 : 0);
  }

  /**
   * Copies every log of this cluster to {@code target/flink-session-logs/<name>/} (the test's temp
   * dir is deleted) and returns the lines that name an error, for an assertion message.
   */
  String keepLogs(String name) {
    Path kept = Path.of("target", "flink-session-logs", name);
    StringBuilder errors = new StringBuilder();
    try (var files = Files.list(dir.resolve("log"))) {
      Files.createDirectories(kept);
      for (Path log : files.toList()) {
        Files.copy(log, kept.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        try (var lines = Files.lines(log)) {
          lines
              .filter(l -> l.contains("ERROR") || l.contains("Exception") || l.contains("Error:"))
              .limit(15)
              .forEach(l -> errors.append(log.getFileName()).append(": ").append(l).append('\n'));
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      errors.append("(logs not kept: ").append(e).append(")\n");
    }
    return "logs kept in " + kept.toAbsolutePath() + "\n" + errors;
  }

  /** The JobManager's log, for assertion messages. */
  String jobManagerLog() {
    try {
      return Files.readString(dir.resolve("log").resolve("jobmanager.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    List<Process> all = new ArrayList<>(taskManagers);
    all.add(jobManager);
    all.forEach(Process::destroy);
    for (Process p : all) {
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }

  private List<String> taskManagerResourceParams() throws IOException {
    Path out = dir.resolve("log").resolve("bash-java-utils.out");
    Process p =
        new ProcessBuilder(
                javaBin(),
                "-cp",
                classpath,
                "org.apache.flink.runtime.util.bash.BashJavaUtils",
                "GET_TM_RESOURCE_PARAMS",
                "--configDir",
                confDir.toString())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException("BashJavaUtils failed:\n" + Files.readString(out));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    List<String> results =
        Files.readAllLines(out).stream()
            .filter(l -> l.startsWith(RESULT_PREFIX))
            .map(l -> l.substring(RESULT_PREFIX.length()))
            .collect(Collectors.toList());
    if (results.size() < 2) {
      throw new IllegalStateException(
          "BashJavaUtils printed no JVM and -D lines:\n" + Files.readString(out));
    }
    return results.subList(results.size() - 2, results.size());
  }

  private static Process launch(
      Path dir,
      String classpath,
      Path conf,
      List<String> jvmArgs,
      String mainClass,
      List<String> args,
      Path log)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(javaBin());
    command.addAll(jvmArgs);
    command.addAll(Arrays.asList(EmbeddedFlink.JVM_OPTIONS.split(" ")));
    command.add("-Dlog.file=" + log);
    command.add("-Dlog4j.configurationFile=" + conf.resolve("log4j.properties").toUri());
    command.add("-cp");
    command.add(classpath);
    command.add(mainClass);
    command.addAll(args);
    return new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(
            ProcessBuilder.Redirect.appendTo(
                log.resolveSibling(log.getFileName() + ".out").toFile()))
        .start();
  }

  private static void writeLog4j(Path conf) throws IOException {
    Files.writeString(
        conf.resolve("log4j.properties"),
        String.join(
            "\n",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.file.ref = MainAppender",
            "appender.main.name = MainAppender",
            "appender.main.type = File",
            "appender.main.append = true",
            "appender.main.fileName = ${sys:log.file}",
            "appender.main.layout.type = PatternLayout",
            "appender.main.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-60c %x - %m%n",
            ""));
  }

  /** The test JVM's classpath minus everything a Flink distribution would not have. */
  private static String flinkClasspath() {
    String full =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String cp =
        Arrays.stream(full.split(File.pathSeparator))
            .filter(e -> !e.isBlank())
            .filter(e -> !NOT_IN_FLINK_DIST.matcher(e).find())
            .collect(Collectors.joining(File.pathSeparator));
    if (!cp.contains("flink-runtime-web")) {
      throw new IllegalStateException(
          "flink-runtime-web is not on the test classpath; the cluster could not accept jars");
    }
    return cp;
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
